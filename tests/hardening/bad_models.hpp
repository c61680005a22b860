// Small ONNX models, good and bad, for the hardening tests: the two-conv
// QDQ model of the end-to-end tests, and variants that once crashed, hung or
// were silently accepted (issue 11).
#pragma once

#include <string>
#include <vector>

#include "npusim/compiler/graph.hpp"

namespace npusim::testing {

// x[1,8,16,16] -> Conv -> Relu -> Conv -> y[1,8,8,8], quantised (QDQ).
compiler::Graph good_model();
// The first Conv with strides [0, 0] (ONNX shape inference divides by it).
compiler::Graph zero_stride_model();
// The Relu after the first Conv in an unknown domain (its output shape unknown).
compiler::Graph unknown_domain_model();
// x[1,3,16,16] into a Conv whose weights are 8x5x3x3.
compiler::Graph channel_mismatch_model();
// An input of 2^40 elements, the output's shape left symbolic.
compiler::Graph huge_input_model();
// The first model with the input's QDQ scale set to `scale` (negative, NaN,
// or so large that no fixed-point multiplier holds the conv's rescale).
compiler::Graph input_scale_model(float scale);
// x[1,8,16] (rank 3) into a Conv whose weights are 8x8x3x3 (rank 4).
compiler::Graph rank_mismatch_model();
// x[1,3,16,16] (an image) -> Conv -> Relu -> y[1,8,16,16], quantised.
compiler::Graph three_channel_model();
// three_channel_model() whose weight zero point holds no values (shape
// 8x0, where the scale has 8): ONNX's checker lets it through.
compiler::Graph empty_weight_zero_point_model();
// three_channel_model() with a Conv bias of no values (8 channels).
compiler::Graph empty_bias_model();
// x -> QuantizeLinear (zero point of no values) -> DequantizeLinear (no zero
// point) -> MaxPool -> QDQ -> y: the NPU segment's input comes from a
// QuantizeLinear whose zero point is empty.
compiler::Graph empty_input_zero_point_model();
// A graph with no nodes.
compiler::Graph empty_model();

// Writes the good model as ONNX with the dims of its first initializer
// replaced by `dims` (its data left as it was).
void save_onnx_with_initializer_dims(const std::vector<int64_t>& dims, const std::string& path);

// Writes `g` as ONNX (without the round trip that would run shape inference).
void save_onnx(const compiler::Graph& g, const std::string& path);

}  // namespace npusim::testing
