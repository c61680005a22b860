// Cutting the FP32 graph before quantising (PrepareOptions::outputs, `npusim
// quantize --outputs`), as the Warboy tutorial cuts YOLOv8 before its decode:
// the decode goes, the cut tensors become outputs with their own Q/DQ, and
// the convolutions producing them lower to QConv (the NPU). Cut after
// quantising, the same convolution would be left out of the QDQ pattern.
#include <gtest/gtest.h>

#include "npusim/compiler/lower_quantized.hpp"
#include "npusim/compiler/quantizer.hpp"
#include "test_models.hpp"

namespace npusim::compiler {
namespace {

using testing::ModelBuilder;

// x -> Conv -> Relu -> two heads (Conv 1x1 each) -> decode: Sigmoid of one
// head, Concat with the other -> y. The heads are named like YOLOv8's.
Graph detector() {
  ModelBuilder b;
  const std::string x = b.input("images", {1, 3, 8, 8});
  const std::string f = b.op("Relu", {b.conv(x, 8, 3, 1, 1)});
  const std::string box = b.conv(f, 4, 1), cls = b.conv(f, 2, 1);
  b.output(b.op("Concat", {box, b.op("Sigmoid", {cls})}, {{"axis", int64_t(1)}}));
  return b.build();
}

std::string producer_of(const Graph& g, const std::string& op, size_t nth) {
  size_t seen = 0;
  for (const auto& n : g.nodes)
    if (n.op == op && seen++ == nth) return n.outputs.at(0);
  return "";
}

TEST(Cut, OutputsCutTheFp32GraphAndTheHeadsLowerToTheNpu) {
  const Graph full = detector();
  PrepareOptions o;
  o.outputs = {producer_of(full, "Conv", 1), producer_of(full, "Conv", 2)};
  std::vector<std::string> notes;
  const Graph g = prepare_graph(full, "detector", o, &notes);
  EXPECT_EQ(g.outputs, o.outputs);
  for (const auto& n : g.nodes) EXPECT_NE(n.op, "Sigmoid") << "the decode is cut away";
  ASSERT_FALSE(notes.empty());
  EXPECT_EQ(notes.front(), "cut at 2 output(s): kept 4 of 6 nodes");

  QuantizedModel q = quantize(g, testing::random_inputs(g, 4, 1), parse_range_method("minmax"));
  int qconv = 0;
  for (const auto& note : lower_quantized(q.graph)) qconv += note.result == "QConv";
  EXPECT_EQ(qconv, 3) << "the trunk and both heads";
  EXPECT_EQ(q.graph.outputs, o.outputs) << "outputs keep their names";
}

TEST(Cut, AnUnknownTensorIsRefusedNamingIt) {
  PrepareOptions o;
  o.outputs = {"/model.22/cv2.0/cv2.0.2/Conv_output_0"};
  try {
    prepare_graph(detector(), "detector.onnx", o);
    FAIL() << "expected an error";
  } catch (const CompileError& e) {
    EXPECT_STREQ(e.what(),
                 "detector.onnx: --outputs names \"/model.22/cv2.0/cv2.0.2/Conv_output_0\", which "
                 "no node of the model produces");
  }
}

}  // namespace
}  // namespace npusim::compiler
