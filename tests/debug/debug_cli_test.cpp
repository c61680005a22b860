// npusim debug and npusim run -d cpu on the developer models and YOLOv8n, as
// a user runs them: every layer's codes from the simulated NPU equal the
// golden model's (single PE and fused), a corrupted weight in a .npub is
// pinned on its layer, and tensor names of any length survive dumps.
// Small inputs, one frame: each test quantises its model on one image
// (npusim quantize, a few seconds) and runs in a few seconds more.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <variant>

#include "common/cli_runner.hpp"
#include "common/model_cache.hpp"
#include "common/read_file.hpp"
#include "npusim/compiler/onnx_io.hpp"
#include "npusim/debug/tensor_files.hpp"
#include "npusim/isa/program.hpp"

namespace npusim::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// A quantised model in a scratch folder (removed afterwards), with the
// arguments that feed it its image.
struct QuantisedModel {
  std::string dir, qdq, fp32, input_args;
};

class DebugCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() / ("npusim_debug_" + std::to_string(::getpid()))).string();
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Quantises `model` (a cached file, or a path) on `image` with `options`.
  QuantisedModel quantise(const std::string& model, const std::string& options,
                          const std::string& image, const std::string& run_options) {
    QuantisedModel m;
    m.dir = dir_;
    m.fp32 = fs::exists(model) ? model : cached_model_path(model);
    EXPECT_TRUE(file_present(m.fp32, "scripts/fetch-models.sh"));
    const std::string img = cached_image_path(image);
    EXPECT_TRUE(file_present(img, "scripts/fetch-images.sh"));
    m.qdq = dir_ + "/" + fs::path(m.fp32).stem().string() + ".int8.onnx";
    const CliResult r = npusim("quantize " + quote(m.fp32) + " -o " + quote(m.qdq) + " " + options +
                               " --calib " + quote(img) + " -q");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    m.input_args = "-i " + quote(img) + " " + run_options;
    return m;
  }

  // npusim debug on `device`; the JSON report.
  json debug(const QuantisedModel& m, const std::string& device, const std::string& extra = "") {
    const std::string out = dir_ + "/debug_" + device + ".json";
    const CliResult r = npusim("debug " + quote(m.qdq) + " " + m.input_args + " -d " + device +
                               " --json " + quote(out) + " " + extra);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    std::printf("%s", r.output.c_str());
    return json::parse(read_file(out));
  }

  // Every layer captured, from the NPU but the input's QuantizeLinear, and
  // bit-exact against the golden model.
  void expect_every_layer_exact(const QuantisedModel& m, const std::string& device) {
    const json j = debug(m, device);
    ASSERT_GT(j["layers"].size(), 10u);
    size_t npu = 0;
    for (const auto& l : j["layers"]) {
      ASSERT_TRUE(l["captured"].get<bool>()) << l["node"];
      EXPECT_EQ(l["reference"]["exact"], l["reference"]["elements"]) << l["node"];
      npu += l["unit"] == "NPU";
    }
    EXPECT_GE(npu + 1, j["layers"].size()) << "layers left on the CPU";
    EXPECT_TRUE(j["first_reference_difference"].is_null());
  }

  std::string dir_;
};

TEST_F(DebugCli, BlazeFaceEveryLayerExactSingleAndFused) {
  const auto m = quantise("blazeface.onnx", "--scale 2/255 --mean 1", "astronaut.png",
                          "--scale 2/255 --mean 1");
  expect_every_layer_exact(m, "npu0pe0");
  expect_every_layer_exact(m, "npu0pe0-1");
}

TEST_F(DebugCli, PpOcrClsEveryLayerExactSingleAndFused) {
  const std::string pp = "--letterbox 192x48 --mean 0.5 --std 0.5";
  const auto m = quantise("ppocr_cls.onnx", "--input-shape x=1x3x48x192 " + pp, "text.png",
                          "--input-shape x=1x3x48x192 " + pp);
  expect_every_layer_exact(m, "npu0pe0");
  expect_every_layer_exact(m, "npu0pe0-1");
}

TEST_F(DebugCli, PpOcrDetEveryLayerExactSingleAndFused) {
  const std::string pp = "--letterbox 64x64 --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225";
  const auto m = quantise("ppocr_det.onnx", "--input-shape x=1x3x64x64 " + pp, "page.png",
                          "--input-shape x=1x3x64x64 " + pp);
  expect_every_layer_exact(m, "npu0pe0");
  expect_every_layer_exact(m, "npu0pe0-1");
}

TEST_F(DebugCli, YoloV8nEveryLayerExactSingleAndFused) {
  // The cached YOLOv8n is 640x640; models/build_yolov8n.py builds the same
  // weights at 96x96 (seconds instead of minutes).
  const std::string small = dir_ + "/yolov8n_96.onnx";
  ASSERT_TRUE(file_present(cached_model_path("yolov8n.onnx"), "scripts/fetch-models.sh"));
  ASSERT_EQ(std::system(("/usr/bin/python3 " +
                         quote(std::string(NPUSIM_SOURCE_DIR) + "/models/build_yolov8n.py") +
                         " --size 96 --output " + quote(small) + " >/dev/null")
                            .c_str()),
            0);
  const auto m = quantise(small, "", "astronaut.png", "");
  expect_every_layer_exact(m, "npu0pe0");
  expect_every_layer_exact(m, "npu0pe0-1");
}

TEST_F(DebugCli, RunOnCpuGivesTheDevicesOutputsBitForBit) {
  const auto m = quantise("blazeface.onnx", "--scale 2/255 --mean 1", "astronaut.png",
                          "--scale 2/255 --mean 1");
  CliResult r = npusim("run " + quote(m.qdq) + " " + m.input_args + " -d cpu --output-dir " +
                       quote(dir_ + "/cpu"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("device     cpu (reference executor: the golden model)"),
            std::string::npos)
      << r.output;
  r = npusim("run " + quote(m.qdq) + " " + m.input_args + " --output-dir " + quote(dir_ + "/npu"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  size_t files = 0;
  for (const auto& f : fs::directory_iterator(dir_ + "/cpu")) {
    if (f.path().extension() != ".npy") continue;
    EXPECT_EQ(read_file(f.path().string()),
              read_file(dir_ + "/npu/" + f.path().filename().string()))
        << f.path().filename();
    ++files;
  }
  EXPECT_EQ(files, 4u);  // BlazeFace's four outputs
  r = npusim("compile " + quote(m.qdq) + " -o " + quote(dir_ + "/bf.npub"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = npusim("run " + quote(dir_ + "/bf.npub") + " -d cpu");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(dir_ + "/bf.npub: -d cpu runs the reference executor on an ONNX model"),
            std::string::npos)
      << r.output;
}

// A weight byte of the capture program changed: the first layer whose codes
// differ is the layer that reads it, and every layer before it is exact.
TEST_F(DebugCli, ACorruptedWeightIsPinnedOnItsLayer) {
  const auto m = quantise("blazeface.onnx", "--scale 2/255 --mean 1", "astronaut.png",
                          "--scale 2/255 --mean 1");
  const std::string good = dir_ + "/capture.npub", bad = dir_ + "/corrupt.npub";
  const json clean = debug(m, "npu0pe0", "--save-program " + quote(good));
  ASSERT_TRUE(clean["first_reference_difference"].is_null());
  isa::Program p = isa::load_program(good);
  auto* npu = std::get_if<isa::NpuSegment>(&p.segments.at(1));
  ASSERT_NE(npu, nullptr);
  ASSERT_FALSE(npu->weights.empty());
  npu->weights[0] ^= 0x55;  // the first weights in DRAM: the first convolution's
  isa::save_program(p, bad);

  const json j = debug(m, "npu0pe0", "--program " + quote(bad));
  ASSERT_FALSE(j["first_reference_difference"].is_null());
  const size_t first = j["first_reference_difference"]["index"].get<size_t>() - 1;
  size_t first_conv = 0;
  while (j["layers"][first_conv]["op"] != "QConv") ++first_conv;
  EXPECT_EQ(first, first_conv) << j["first_reference_difference"]["text"];
  for (size_t i = 0; i < first; ++i)
    EXPECT_EQ(j["layers"][i]["reference"]["exact"], j["layers"][i]["reference"]["elements"]);
  EXPECT_LT(j["layers"][first]["reference"]["exact"], j["layers"][first]["reference"]["elements"]);
}

// `g` with every computed tensor renamed to a 300-byte name full of the
// characters file systems dislike (TensorFlow exports have names over 90).
compiler::Graph with_long_names(compiler::Graph g) {
  std::map<std::string, std::string> renamed;
  for (auto& n : g.nodes)
    for (auto& o : n.outputs) {
      const std::string long_name = o + " / \"é\" : " + std::string(300 - o.size() % 7, '#');
      renamed[o] = long_name;
      compiler::Value v = g.value(o);
      v.name = long_name;
      g.values.erase(o);
      g.values[long_name] = v;
      o = long_name;
    }
  for (auto& n : g.nodes)
    for (auto& in : n.inputs)
      if (renamed.count(in)) in = renamed[in];
  for (auto& o : g.outputs) o = renamed.at(o);
  return g;
}

// Names of any length: npusim run writes the outputs, npusim debug dumps every
// layer, and the dump, read back as another runtime's, matches every layer.
TEST_F(DebugCli, LongTensorNamesAreDumpedAndReadBack) {
  const auto m = quantise("blazeface.onnx", "--scale 2/255 --mean 1", "astronaut.png",
                          "--scale 2/255 --mean 1");
  const std::string renamed = dir_ + "/long_names.onnx";
  compiler::export_onnx(with_long_names(compiler::import_onnx(m.qdq)), renamed);
  QuantisedModel ln = m;
  ln.qdq = renamed;
  CliResult r = npusim("run " + quote(renamed) + " " + m.input_args + " --output-dir " +
                       quote(dir_ + "/out"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto outs = compiler::import_onnx(renamed).outputs;
  ASSERT_EQ(outs.size(), 4u);
  EXPECT_GT(outs[0].size(), 255u);
  EXPECT_EQ(debug::read_dump(dir_ + "/out", outs).size(), 4u);

  const json dumped = debug(ln, "npu0pe0", "--dump " + quote(dir_ + "/dump"));
  std::vector<std::string> tensors;
  for (const auto& l : dumped["layers"]) tensors.push_back(l["tensor"]);
  const auto back = debug::read_dump(dir_ + "/dump", tensors);
  ASSERT_EQ(back.size(), tensors.size());
  for (const auto& [name, e] : back) EXPECT_TRUE(e.codes && e.values) << name;

  const json against = debug(ln, "npu0pe0", "--against " + quote(dir_ + "/dump"));
  for (const auto& l : against["layers"]) {
    ASSERT_TRUE(l.contains("against")) << l["tensor"] << " not found in the dump";
    EXPECT_EQ(l["against"]["exact"], l["against"]["elements"]) << l["tensor"];
  }
  EXPECT_TRUE(against["first_against_difference"].is_null());
}

}  // namespace
}  // namespace npusim::testing
