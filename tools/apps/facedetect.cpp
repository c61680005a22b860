// npusim-facedetect: the application end of the main job. Runs a BlazeFace
// front model (a .npub, or a QDQ ONNX compiled through the cache) on the
// simulated NPU through the runtime, decodes faces on the host, draws them on
// the photo and reports the simulated latency. With --fp32 it also runs the
// original FP32 model on the reference executor and compares the faces.
//
// Exit status: 0 faces found, 3 no face at or above the threshold (the run
// itself worked; the report gives the best score), 1 error, 2 usage error.
#include <spdlog/spdlog.h>

#include <boost/program_options.hpp>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "npusim/common/files.hpp"
#include "npusim/compiler/calibration.hpp"
#include "npusim/compiler/executor.hpp"
#include "npusim/compiler/onnx_io.hpp"
#include "npusim/isa/hw_params.hpp"
#include "npusim/runtime/device_list.hpp"
#include "npusim/runtime/image_input.hpp"
#include "npusim/runtime/runner.hpp"
#include "npusim/sim/in_process_device.hpp"
#include "npusim/vision/blazeface.hpp"
#include "npusim/vision/image_io.hpp"

namespace po = boost::program_options;
using namespace npusim;

namespace {

constexpr int kNoFace = 3;

struct Args {
  std::string model, fp32, image, output = "faces.png", report, device;
  std::vector<std::string> sets;
  float threshold = 0.5f;
};

// A command-line mistake: exit status 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// MediaPipe's convention: RGB scaled to [-1, 1], stretched to 128x128. A
// model whose input was made uint8 takes the raw pixels (runtime::image_input).
compiler::ImagePreprocess blazeface_preprocess() {
  compiler::ImagePreprocess pp;
  pp.scale = 2.0f / 255.0f;
  pp.mean = {1.0f};
  return pp;
}

// The decode's anchors and pixel units are those of the front model's
// 128x128 input: another size (the 256x256 "back" model has outputs of the
// same shapes) would decode to boxes in the wrong places.
void check_input_size(const runtime::TensorDesc& in, const std::string& model) {
  const compiler::Shape& s = in.shape;
  const bool nhwc = s.size() == 4 && s[1] == vision::kBlazeFaceInput &&
                    s[2] == vision::kBlazeFaceInput && s[3] == 3;
  const bool nchw = s.size() == 4 && s[1] == 3 && s[2] == vision::kBlazeFaceInput &&
                    s[3] == vision::kBlazeFaceInput;
  if (s.size() != 4 || s[0] != 1 || !(nhwc || nchw))
    throw std::runtime_error(model + ": input \"" + in.name + "\" is " + compiler::shape_string(s) +
                             "; the BlazeFace front decode needs a 128x128 RGB image "
                             "(1x128x128x3 or 1x3x128x128): its anchors and box units are "
                             "those of MediaPipe's face_detection_front");
}

compiler::TensorMap by_name(const std::vector<runtime::TensorDesc>& descs,
                            const std::vector<compiler::Tensor>& values) {
  compiler::TensorMap m;
  for (size_t i = 0; i < descs.size(); ++i) m[descs[i].name] = values[i];
  return m;
}

std::string box_text(const vision::Box& b, const vision::Image& img) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(3) << "score " << b.score << "  box (" << int(b.x0 * img.w)
    << "," << int(b.y0 * img.h) << ")-(" << int(b.x1 * img.w) << "," << int(b.y1 * img.h)
    << ") px  centre (" << (b.x0 + b.x1) / 2 << ", " << (b.y0 + b.y1) / 2 << ")  width "
    << (b.x1 - b.x0);
  return s.str();
}

// The best anchor whatever its score: what a run without faces reports.
std::optional<vision::Box> best_anchor(const compiler::TensorMap& outputs) {
  vision::BlazeFaceOptions all;
  all.score_threshold = 0.0f;
  all.max_faces = 1;
  const auto best = vision::decode_blazeface(outputs, all);
  if (best.empty()) return std::nullopt;
  return best.front();
}

std::vector<vision::Box> fp32_faces(const Args& a, const vision::BlazeFaceOptions& options) {
  const compiler::Graph g = compiler::import_onnx(a.fp32);
  const std::string& input = g.inputs.at(0);
  const compiler::Tensor x =
      compiler::load_image(a.image, g.value(input).shape, blazeface_preprocess()).at(0);
  return vision::decode_blazeface(compiler::execute(g, {{input, x}}), options);
}

Args parse(int argc, char** argv) {
  Args a;
  po::options_description desc("npusim-facedetect options");
  desc.add_options()("help,h", "this help")("model", po::value(&a.model)->required(),
                                            "BlazeFace front: .npub or int8 QDQ .onnx")(
      "image", po::value(&a.image)->required(), "photo (PNG/JPEG)")(
      "fp32", po::value(&a.fp32), "the FP32 ONNX model, to compare against")(
      "output,o", po::value(&a.output), "photo with the faces drawn (PNG; faces.png)")(
      "report", po::value(&a.report), "also write the report to this file")(
      "threshold", po::value(&a.threshold), "faces have a score >= this (0.5)")(
      "device,d", po::value(&a.device),
      "npu0pe0 (default), npu0pe1 or npu0pe0-1 (fused), or an alias (npu:0:0-1, ...)")(
      "set", po::value(&a.sets)->composing(), "hardware parameter key=value");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, desc), vm);
  if (vm.count("help")) {
    std::cout << "usage: npusim-facedetect --model M --image PHOTO [options]\n\n"
              << desc
              << "\nexit status: 0 faces found, 3 no face (the report gives the best score), "
                 "1 error, 2 usage error\n";
    std::exit(0);
  }
  po::notify(vm);
  if (!(a.threshold >= 0.0f && a.threshold <= 1.0f))
    throw UsageError("--threshold takes a score in [0, 1]");
  isa::HwParams check;
  for (const auto& s : a.sets) isa::apply_assignment(check, s);  // a bad --set is a usage error
  return a;
}

int run(const Args& a) {
  isa::HwParams hw;
  for (const auto& s : a.sets) isa::apply_assignment(hw, s);
  runtime::ModelOptions mo;
  mo.hw = hw;
  const auto devices = runtime::parse_device_list(a.device);
  mo.target = runtime::pe_mask_of(devices.front()) == 3 ? isa::Mode::kFused : isa::Mode::kSingle;
  const auto model = runtime::Model::load(a.model, mo);
  const runtime::TensorDesc& in = model->inputs().at(0);
  check_input_size(in, a.model);
  const compiler::Tensor input = runtime::image_input(in, a.image, blazeface_preprocess());

  runtime::RunnerOptions ro;
  ro.transport = sim::in_process_device({hw, false});
  ro.devices = a.device;
  runtime::Runner runner(model, ro);
  const auto outputs = by_name(model->outputs(), runner.run({input}));
  vision::BlazeFaceOptions options;
  options.score_threshold = a.threshold;
  const std::vector<vision::Box> faces = vision::decode_blazeface(outputs, options);
  const runtime::RequestTiming& t = runner.last_timing();

  vision::Image photo = vision::read_image(a.image);
  std::ostringstream r;
  r << "photo      " << a.image << " (" << photo.w << "x" << photo.h << ")\n"
    << "model      " << a.model << " on " << t.device << " (simulated " << hw.name << " NPU)\n"
    << "faces      " << faces.size() << " found on the NPU (score >= " << a.threshold << ")\n";
  for (const auto& f : faces) {
    r << "  npu      " << box_text(f, photo) << "\n";
    vision::draw_box(photo, f, {0, 255, 0}, std::max(2, photo.w / 200));
  }
  if (faces.empty())
    if (const auto best = best_anchor(outputs))
      r << "  best     " << box_text(*best, photo) << "  (below the threshold)\n";
  if (!a.fp32.empty()) {
    for (const auto& f : fp32_faces(a, options)) {
      r << "  fp32     " << box_text(f, photo);
      if (!faces.empty())
        r << "  IoU with npu " << std::setprecision(3) << vision::iou(f, faces[0]);
      r << "\n";
    }
  }
  r << std::fixed << std::setprecision(1) << "latency    " << double(t.latency_ps()) / 1e6
    << " us simulated: host " << double(t.host_ps) / 1e6 << " (quantise, layout, driver), H2D "
    << double(t.h2d_ps) / 1e6 << ", compute " << double(t.compute_ps) / 1e6 << ", D2H "
    << double(t.d2h_ps) / 1e6 << "\n";
  for (const auto& pe : runner.stats().pes)
    if (pe.cycles)
      r << pe.pe << "    NPU% " << pe.npu_percent() << "  Comp% " << pe.comp_percent() << "\n";
  vision::write_png(photo, a.output);
  r << "wrote      " << a.output << "\n";
  std::cout << r.str();
  if (!a.report.empty()) files::write_file(a.report, r.str());
  return faces.empty() ? kNoFace : 0;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  Args args;
  try {
    args = parse(argc, argv);
  } catch (const std::exception& e) {  // boost::program_options errors and UsageError
    std::cerr << "npusim-facedetect: " << e.what() << " (try --help)\n";
    return 2;
  }
  try {
    return run(args);
  } catch (const std::exception& e) {
    std::cerr << "npusim-facedetect: error: " << e.what() << "\n";
    return 1;
  }
}
