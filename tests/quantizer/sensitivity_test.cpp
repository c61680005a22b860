// npusim quantize --sensitivity's measure (compiler/sensitivity.hpp): on the
// small CNN, every activation with its own parameters and every weight
// tensor gets a row, worst first; an activation given a deliberately bad
// range is ranked worst.
#include <gtest/gtest.h>

#include <cmath>

#include "npusim/compiler/sensitivity.hpp"
#include "test_models.hpp"

namespace npusim::compiler {
namespace {

using testing::random_inputs;

struct Quantised {
  Graph g;
  QuantPlan plan;
  RangeTable ranges;
};

Quantised calibrated() {
  Quantised q{prepare_graph(testing::small_cnn(), "small_cnn"), {}, {}};
  q.plan = plan_quantization(q.g);
  const Calibration c = calibrate(q.g, q.plan.activations, random_inputs(q.g, 8, 1));
  q.ranges = compute_ranges(q.g, c, q.plan, parse_range_method("percentile"));
  return q;
}

TEST(Sensitivity, EveryActivationAndWeightTensorHasARowWorstFirst) {
  const Quantised m = calibrated();
  const QuantizedModel q = quantize_graph(m.g, m.plan, m.ranges);
  const auto rows = quantization_sensitivity(m.g, m.plan, q, random_inputs(m.g, 2, 99));
  size_t own = 0;
  for (const auto& a : q.activations) own += a.shared_with.empty();
  EXPECT_EQ(rows.size(), own + m.plan.weights.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i > 0) {
      EXPECT_LE(rows[i - 1].sqnr_db, rows[i].sqnr_db);
    }
    ASSERT_EQ(rows[i].outputs_db.size(), 1u);
    EXPECT_EQ(rows[i].worst_output, m.g.outputs[0]);
    // One int8 tensor alone, with a fitting range, costs little.
    EXPECT_GT(rows[i].sqnr_db, 30.0) << rows[i].kind << " " << rows[i].name;
  }
}

TEST(Sensitivity, AnActivationWithABadRangeIsRankedWorst) {
  Quantised m = calibrated();
  // The first convolution's (Relu) output: clipped to a twentieth of its range.
  std::string bad;
  for (const auto& t : m.plan.activations) {
    const int p = m.g.producer(t);
    if (!m.plan.share.count(t) && p >= 0 && m.g.nodes[p].op == "Relu") {
      bad = t;
      break;
    }
  }
  ASSERT_FALSE(bad.empty());
  m.ranges[bad].hi *= 0.05f;
  const QuantizedModel q = quantize_graph(m.g, m.plan, m.ranges);
  const auto rows = quantization_sensitivity(m.g, m.plan, q, random_inputs(m.g, 2, 99));
  ASSERT_GE(rows.size(), 2u);
  EXPECT_EQ(rows[0].kind, "activation");
  EXPECT_EQ(rows[0].name, bad);
  EXPECT_NEAR(rows[0].range.hi, m.ranges[bad].hi, 1e-6);
  EXPECT_LT(rows[0].sqnr_db + 10, rows[1].sqnr_db);  // by far
}

TEST(Sensitivity, AnActivationQuantisedAloneIsTheOnlyQdq) {
  const Quantised m = calibrated();
  const QuantizedModel q = quantize_graph(m.g, m.plan, m.ranges);
  // The graph output itself: it keeps its position under a new name.
  const ActivationQuant* out = nullptr;
  for (const auto& a : q.activations)
    if (a.tensor == m.g.outputs[0]) out = &a;
  ASSERT_NE(out, nullptr);
  const Graph g = with_activation_quantized(m.g, *out);
  int qs = 0, dqs = 0;
  for (const auto& n : g.nodes) qs += n.op == "QuantizeLinear", dqs += n.op == "DequantizeLinear";
  EXPECT_EQ(qs, 1);
  EXPECT_EQ(dqs, 1);
  ASSERT_EQ(g.outputs.size(), 1u);
  const auto in = random_inputs(m.g, 1, 5);
  const Tensor f = execute(m.g, in[0]).at(m.g.outputs[0]);
  const Tensor t = execute(g, in[0]).at(g.outputs[0]);
  EXPECT_GT(sqnr_db(f, t), 30.0);
  EXPECT_FALSE(std::isinf(sqnr_db(f, t)));  // it is quantised
}

}  // namespace
}  // namespace npusim::compiler
