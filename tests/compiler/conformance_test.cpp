// Every ONNX node conformance case whose ops the reference executor
// supports: import model.onnx, execute, compare with the expected outputs
// (floats within a tolerance, integers and bools exactly).
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <map>

#include "compiler/onnx_cases.hpp"
#include "npusim/compiler/executor.hpp"
#include "npusim/compiler/onnx_io.hpp"

namespace npusim::compiler {
namespace {

using testing::NodeCase;
using testing::supported_node_cases;

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  for (const auto& [name, c] : supported_node_cases()) names.push_back(name);
  return names;
}

// Element-wise comparison; reports the first few mismatches.
void expect_close(const std::string& what, const Tensor& got, const Tensor& want) {
  ASSERT_EQ(dtype_name(got.dtype()), dtype_name(want.dtype())) << what;
  ASSERT_EQ(shape_string(got.shape()), shape_string(want.shape())) << what;
  constexpr double kRtol = 1e-4, kAtol = 1e-5;
  int bad = 0;
  for (int64_t i = 0; i < got.size() && bad < 5; ++i) {
    const double g = got.at(i), w = want.at(i);
    const bool ok =
        got.dtype() == DType::kFloat32
            ? (std::isnan(w) ? std::isnan(g)
                             : (g == w || std::abs(g - w) <= kAtol + kRtol * std::abs(w)))
            : got.int_at(i) == want.int_at(i);
    if (!ok) {
      ++bad;
      ADD_FAILURE() << what << " element " << i << ": got " << g << ", expected " << w;
    }
  }
}

class NodeConformance : public ::testing::TestWithParam<std::string> {};

TEST_P(NodeConformance, MatchesExpectedOutputs) {
  const NodeCase& c = supported_node_cases().at(GetParam());
  if (!c.skip.empty()) GTEST_SKIP() << c.skip;
  const Graph g = import_onnx(c.dir + "/model.onnx");
  const std::vector<Tensor> in = testing::load_case_tensors(c.dir, "input");
  const std::vector<Tensor> want = testing::load_case_tensors(c.dir, "output");
  ASSERT_EQ(in.size(), g.inputs.size()) << "inputs of " << c.name;
  ASSERT_EQ(want.size(), g.outputs.size()) << "outputs of " << c.name;
  TensorMap feeds;
  for (size_t i = 0; i < in.size(); ++i) feeds[g.inputs[i]] = in[i];
  const TensorMap got = execute(g, feeds);
  for (size_t i = 0; i < want.size(); ++i)
    expect_close("output '" + g.outputs[i] + "'", got.at(g.outputs[i]), want[i]);
}

INSTANTIATE_TEST_SUITE_P(Onnx, NodeConformance, ::testing::ValuesIn(case_names()),
                         [](const auto& info) { return info.param; });

// The cases that are skipped, grouped by reason; and a guard against a
// missing data package passing as zero tests.
TEST(NodeConformanceSummary, ListsSkippedCases) {
  const auto& cases = supported_node_cases();
  ASSERT_GE(cases.size(), 300u) << "install libonnx-testdata";
  std::map<std::string, std::vector<std::string>> by_reason;
  for (const auto& [name, c] : cases)
    if (!c.skip.empty()) by_reason[c.skip.substr(0, c.skip.find(" ("))].push_back(name);
  size_t skipped = 0;
  for (const auto& [reason, names] : by_reason) {
    std::cout << reason << ": " << names.size() << "\n ";
    for (const auto& n : names) std::cout << " " << n;
    std::cout << "\n";
    skipped += names.size();
  }
  std::cout << cases.size() - skipped << " of " << cases.size() << " supported cases run, "
            << skipped << " skipped\n";
}

}  // namespace
}  // namespace npusim::compiler
