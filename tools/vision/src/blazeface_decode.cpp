// BlazeFace front decode (MediaPipe's TensorsToDetectionsCalculator with the
// face_detection_front options; the npm package's Postprocess1Kernel.hlsl
// does the same): per anchor a sigmoid score, a box and 6 key points
// regressed in input pixels around the anchor centre.
#include <algorithm>
#include <cmath>

#include "npusim/vision/blazeface.hpp"
#include "tensor_checks.hpp"

namespace npusim::vision {

namespace {

constexpr int kRegressors = 4 + 2 * kBlazeFaceKeypoints;  // x, y, w, h, 6 x (x, y)
constexpr float kRawClamp = 100.0f;                       // MediaPipe's score_clipping_thresh

float sigmoid_score(float raw) {
  // The clamp keeps exp() finite for garbage inputs (e.g. a broken int8 scale).
  return 1.0f / (1.0f + std::exp(-std::clamp(raw, -kRawClamp, kRawClamp)));
}

// One anchor's regression `r` (16 values, input pixels) around its centre.
Box decode_anchor(const float* r, std::pair<float, float> anchor, float score) {
  const float in = float(kBlazeFaceInput);
  const float cx = anchor.first + r[0] / in, cy = anchor.second + r[1] / in;
  const float w = r[2] / in, h = r[3] / in;
  Box b{cx - 0.5f * w, cy - 0.5f * h, cx + 0.5f * w, cy + 0.5f * h, score, 0, {}};
  for (int k = 0; k < kBlazeFaceKeypoints; ++k)
    b.keypoints.emplace_back(anchor.first + r[4 + 2 * k] / in, anchor.second + r[5 + 2 * k] / in);
  return b;
}

// Candidates of one output pair; `first` is the pair's first anchor index.
void decode_level(std::span<const float> scores, std::span<const float> regs,
                  const std::vector<std::pair<float, float>>& anchors, size_t first,
                  float threshold, std::vector<Box>& out) {
  for (size_t i = 0; i < scores.size(); ++i) {
    const float score = sigmoid_score(scores[i]);
    // MediaPipe keeps score >= threshold; written so that NaN is dropped too.
    if (!(score >= threshold)) continue;
    out.push_back(decode_anchor(regs.data() + i * kRegressors, anchors[first + i], score));
  }
}

}  // namespace

std::vector<Box> decode_blazeface(const BlazeFaceOutputs& o, const BlazeFaceOptions& options) {
  const auto s8 = detail::float_data(o.scores8, "BlazeFace stride-8 scores", {1, 512, 1});
  const auto s16 = detail::float_data(o.scores16, "BlazeFace stride-16 scores", {1, 384, 1});
  const auto b8 = detail::float_data(o.boxes8, "BlazeFace stride-8 boxes", {1, 512, kRegressors});
  const auto b16 =
      detail::float_data(o.boxes16, "BlazeFace stride-16 boxes", {1, 384, kRegressors});
  static const std::vector<std::pair<float, float>> anchors = blazeface_anchors();
  std::vector<Box> candidates;
  decode_level(s8, b8, anchors, 0, options.score_threshold, candidates);
  decode_level(s16, b16, anchors, s8.size(), options.score_threshold, candidates);
  return weighted_nms(std::move(candidates), options.iou_threshold, options.max_faces);
}

std::vector<Box> decode_blazeface(const compiler::TensorMap& outputs,
                                  const BlazeFaceOptions& options) {
  return decode_blazeface(find_blazeface_outputs(outputs), options);
}

}  // namespace npusim::vision
