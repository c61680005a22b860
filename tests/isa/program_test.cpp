// The .npub container: exact round trips in memory and on disk, every
// documented error (named file and reason), and the hardware check.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "npusim/isa/program.hpp"

namespace npusim::isa {
namespace {

using F = Field;
namespace fs = std::filesystem;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ProgramError& e) {
    return e.what();
  }
  return "<no error>";
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

Program sample() {
  Program p;
  p.mode = Mode::kFused;
  p.batch = 8;
  p.hw = preset("small");
  set_param(p.hw, "sram_per_pe", "8MiB");
  TensorInfo x{"images", {8, 224, 224, 3}, "uint8", "NHWC", 0.017f, 114, 0};
  TensorInfo mid{"features", {8, 1000}, "int8", "NC", 0.05f, -2, 0};
  TensorInfo y{"probs", {8, 1000}, "float32", "NC", 1.0f, 0, 0};
  p.inputs = {x};
  p.outputs = {y};
  p.tensors = {x, mid, y};
  NpuSegment npu;
  npu.name = "backbone";
  npu.inputs = {"images"};
  npu.outputs = {"features"};
  npu.scratch_bytes = 3 << 20;
  npu.io_bytes = 2 << 20;
  for (int i = 0; i < 1000; ++i) npu.weights.push_back(static_cast<uint8_t>(i * 7));
  npu.streams[0][1] = encode(
      std::vector<Instruction>{make(Opcode::kVecFill, {{F::kLen, 4}}), make(Opcode::kEnd, {})});
  npu.streams[1][2] = encode(std::vector<Instruction>{make(Opcode::kEnd, {})});
  npu.layers = {{"conv1", "QConv", "", {{{0, 0, 0}, {0, 0, 0}}}},
                {"relu \"1\"", "QLut", "", {{{0, 1, 0}, {0, 0, 1}}}}};
  CpuSegment cpu;
  cpu.name = "softmax";
  cpu.inputs = {"features"};
  cpu.outputs = {"probs"};
  cpu.onnx = {0x08, 0x07, 0x12, 0x04, 't', 'e', 's', 't'};
  cpu.layers = {{"softmax", "Softmax", "op Softmax has no NPU code generation yet", {}}};
  p.segments = {npu, cpu};
  return p;
}

void expect_same_tensors(const std::vector<TensorInfo>& a, const std::vector<TensorInfo>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name);
    EXPECT_EQ(a[i].shape, b[i].shape);
    EXPECT_EQ(a[i].dtype, b[i].dtype);
    EXPECT_EQ(a[i].layout, b[i].layout);
    EXPECT_EQ(a[i].scale, b[i].scale);
    EXPECT_EQ(a[i].zero_point, b[i].zero_point);
    EXPECT_EQ(a[i].io_offset, b[i].io_offset);
  }
}

void expect_same_layers(const std::vector<LayerInfo>& a, const std::vector<LayerInfo>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name);
    EXPECT_EQ(a[i].op, b[i].op);
    EXPECT_EQ(a[i].reason, b[i].reason);
    EXPECT_EQ(a[i].first, b[i].first);
  }
}

void expect_same(const Program& a, const Program& b) {
  EXPECT_EQ(a.mode, b.mode);
  EXPECT_EQ(a.batch, b.batch);
  EXPECT_TRUE(a.hw == b.hw);
  expect_same_tensors(a.inputs, b.inputs);
  expect_same_tensors(a.outputs, b.outputs);
  expect_same_tensors(a.tensors, b.tensors);
  ASSERT_EQ(a.segments.size(), b.segments.size());
  for (size_t i = 0; i < a.segments.size(); ++i) {
    ASSERT_EQ(a.segments[i].index(), b.segments[i].index());
    if (const auto* na = std::get_if<NpuSegment>(&a.segments[i])) {
      const auto& nb = std::get<NpuSegment>(b.segments[i]);
      EXPECT_EQ(na->name, nb.name);
      EXPECT_EQ(na->streams, nb.streams);
      EXPECT_EQ(na->weights, nb.weights);
      EXPECT_EQ(na->scratch_bytes, nb.scratch_bytes);
      EXPECT_EQ(na->io_bytes, nb.io_bytes);
      EXPECT_EQ(na->inputs, nb.inputs);
      EXPECT_EQ(na->outputs, nb.outputs);
      expect_same_layers(na->layers, nb.layers);
    } else {
      const auto& ca = std::get<CpuSegment>(a.segments[i]);
      const auto& cb = std::get<CpuSegment>(b.segments[i]);
      EXPECT_EQ(ca.name, cb.name);
      EXPECT_EQ(ca.onnx, cb.onnx);
      EXPECT_EQ(ca.inputs, cb.inputs);
      EXPECT_EQ(ca.outputs, cb.outputs);
      expect_same_layers(ca.layers, cb.layers);
    }
  }
}

uint32_t le32(const std::vector<uint8_t>& b, size_t at) {
  return b[at] | b[at + 1] << 8 | b[at + 2] << 16 | uint32_t(b[at + 3]) << 24;
}
void put_le32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = uint8_t(v >> (8 * i));
}

nlohmann::json header_of(const std::vector<uint8_t>& file) {
  const uint32_t n = le32(file, 8);
  return nlohmann::json::parse(file.begin() + 16, file.begin() + 16 + n);
}

// Replaces the header (with a correct checksum), keeping the blob area.
std::vector<uint8_t> with_header(const std::vector<uint8_t>& file, const std::string& header) {
  const size_t old_end = 16 + le32(file, 8);
  const size_t blobs = file.size() - old_end;
  std::vector<uint8_t> out(16 + header.size() + blobs);
  std::memcpy(out.data(), file.data(), 16);
  std::memcpy(out.data() + 16, header.data(), header.size());
  std::memcpy(out.data() + 16 + header.size(), file.data() + old_end, blobs);
  put_le32(out, 8, uint32_t(header.size()));
  put_le32(out, 12,
           uint32_t(crc32(0, reinterpret_cast<const Bytef*>(header.data()), header.size())));
  return out;
}

// Absolute file offset of a blob reference.
size_t blob_start(const std::vector<uint8_t>& file, const nlohmann::json& ref) {
  return 16 + le32(file, 8) + ref["offset"].get<size_t>();
}

TEST(Npub, SerializeRoundTripsExactly) {
  const Program p = sample();
  const auto bytes = serialize(p);
  expect_same(deserialize(bytes), p);
  EXPECT_EQ(serialize(deserialize(bytes)), bytes) << "serialization is deterministic";
}

TEST(Npub, PreambleAndAlignmentFollowTheSpec) {
  const auto bytes = serialize(sample());
  EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 4), "NPUB");
  EXPECT_EQ(bytes[4] | bytes[5] << 8, kNpubMajor);
  EXPECT_EQ(bytes[6] | bytes[7] << 8, kNpubMinor);
  EXPECT_EQ((16 + le32(bytes, 8)) % 16, 0u) << "the blob area starts 16-byte aligned";
  const auto h = header_of(bytes);
  EXPECT_EQ(h["mode"], "fused");
  EXPECT_EQ(h["segments"][0]["kind"], "npu");
  EXPECT_EQ(h["segments"][1]["kind"], "cpu");
  for (const auto& s : h["segments"][0]["streams"])
    EXPECT_EQ(blob_start(bytes, s["code"]) % 16, 0u);
}

TEST(Npub, SaveAndLoadRoundTripOnDisk) {
  const fs::path dir = fs::temp_directory_path() / ("npub_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "model.npub").string();
  const Program p = sample();
  save_program(p, path);
  expect_same(load_program(path), p);
  save_program(p, path);  // overwriting is fine
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 1u) << "no temporary file left behind";
  fs::remove_all(dir);
}

TEST(Npub, SaveFailureNamesPathAndLeavesNothing) {
  const std::string path = "/nonexistent-dir-npusim/model.npub";
  const std::string e = error_of([&] { save_program(sample(), path); });
  EXPECT_TRUE(contains(e, path)) << e;
  EXPECT_FALSE(fs::exists(path));
}

// Names come from ONNX files and assembly text as bytes, but the header is
// JSON: a name that is not UTF-8 is refused naming the field (and, when
// saving, the file), not with the JSON library's bare message.
TEST(Npub, NameThatIsNotUtf8NamesTheField) {
  Program p = sample();
  p.outputs.at(0).name = "y\xff";
  const std::string e = error_of([&] { serialize(p); });
  EXPECT_EQ(e, "cannot serialize program: header field 'outputs[0].name' is not valid UTF-8 text");
  const std::string saved = error_of([&] { save_program(p, "/tmp/npusim-utf8-test.npub"); });
  EXPECT_TRUE(contains(saved,
                       "/tmp/npusim-utf8-test.npub: cannot serialize program: header field "
                       "'outputs[0].name'"))
      << saved;
  EXPECT_FALSE(fs::exists("/tmp/npusim-utf8-test.npub"));
}

TEST(Npub, LoadMissingFileNamesPath) {
  const std::string e = error_of([] { load_program("/no/such/model.npub"); });
  EXPECT_TRUE(contains(e, "/no/such/model.npub: cannot open")) << e;
}

TEST(NpubErrors, BadMagic) {
  auto bytes = serialize(sample());
  bytes[0] = 'X';
  const std::string e = error_of([&] { deserialize(bytes, "m.npub"); });
  EXPECT_EQ(e.rfind("m.npub: bad magic", 0), 0u) << e;
}

TEST(NpubErrors, FutureMajorVersionIsRefused) {
  auto bytes = serialize(sample());
  bytes[4] = 2;
  bytes[6] = 0;  // version 2.0
  const std::string e = error_of([&] { deserialize(bytes, "m.npub"); });
  EXPECT_EQ(e, "m.npub: unsupported format version 2.0 (this reader supports 1.x)");
}

TEST(NpubErrors, NewerMinorVersionWithExtraFieldsIsAccepted) {
  const auto bytes = serialize(sample());
  auto h = header_of(bytes);
  h["future_field"] = {{"anything", 1}};
  h["segments"][0]["compression"] = "none";
  auto newer = with_header(bytes, h.dump());
  newer[6] = 7;
  expect_same(deserialize(newer), sample());
}

TEST(NpubErrors, TruncationAnywhereIsNamed) {
  const auto bytes = serialize(sample());
  for (size_t cut : {size_t{0}, size_t{3}, size_t{10}, size_t{40}, bytes.size() - 1}) {
    const std::vector<uint8_t> part(bytes.begin(), bytes.begin() + cut);
    const std::string e = error_of([&] { deserialize(part, "t.npub"); });
    EXPECT_EQ(e.rfind("t.npub: truncated", 0), 0u) << "cut at " << cut << ": " << e;
  }
  // A cut inside the blob area names the blob (the ONNX bytes come last).
  const std::vector<uint8_t> part(bytes.begin(), bytes.end() - 4);
  const std::string e = error_of([&] { deserialize(part, "t.npub"); });
  EXPECT_TRUE(contains(e, "segment 'softmax' blob 'onnx'")) << e;
}

TEST(NpubErrors, FlippedBlobByteNamesSegmentAndBlob) {
  const auto bytes = serialize(sample());
  const auto h = header_of(bytes);
  auto w = bytes;
  w[blob_start(bytes, h["segments"][0]["weights"]) + 500] ^= 0x10;
  std::string e = error_of([&] { deserialize(w, "f.npub"); });
  EXPECT_EQ(e.rfind("f.npub: checksum mismatch in segment 'backbone' blob 'weights'", 0), 0u) << e;

  auto c = bytes;
  c[blob_start(bytes, h["segments"][0]["streams"][0]["code"])] ^= 1;
  e = error_of([&] { deserialize(c, "f.npub"); });
  EXPECT_TRUE(contains(e, "checksum mismatch in segment 'backbone' blob 'code slot 0 compute'"))
      << e;

  auto o = bytes;
  o[blob_start(bytes, h["segments"][1]["onnx"]) + 2] ^= 0x80;
  e = error_of([&] { deserialize(o, "f.npub"); });
  EXPECT_TRUE(contains(e, "checksum mismatch in segment 'softmax' blob 'onnx'")) << e;
}

TEST(NpubErrors, FlippedHeaderByteIsAChecksumError) {
  auto bytes = serialize(sample());
  bytes[20] ^= 0x01;
  const std::string e = error_of([&] { deserialize(bytes, "h.npub"); });
  EXPECT_EQ(e.rfind("h.npub: checksum mismatch in header", 0), 0u) << e;
}

TEST(NpubErrors, MalformedHeaderNamesTheField) {
  const auto bytes = serialize(sample());
  auto h = header_of(bytes);
  h["segments"][0]["scratch_bytes"] = "lots";
  std::string e = error_of([&] { deserialize(with_header(bytes, h.dump()), "j.npub"); });
  EXPECT_EQ(e,
            "j.npub: malformed header: field 'segments[0].scratch_bytes': expected a non-negative "
            "integer");

  h = header_of(bytes);
  h["inputs"][0].erase("dtype");
  e = error_of([&] { deserialize(with_header(bytes, h.dump()), "j.npub"); });
  EXPECT_EQ(e, "j.npub: malformed header: missing field 'inputs[0].dtype'");

  h = header_of(bytes);
  h["mode"] = "both";
  e = error_of([&] { deserialize(with_header(bytes, h.dump()), "j.npub"); });
  EXPECT_TRUE(contains(e, "field 'mode'")) << e;

  h = header_of(bytes);
  h["hw"][3] = {"sram_per_pe", "huge"};
  e = error_of([&] { deserialize(with_header(bytes, h.dump()), "j.npub"); });
  EXPECT_TRUE(contains(e, "field 'hw[3]'") && contains(e, "sram_per_pe")) << e;

  e = error_of([&] { deserialize(with_header(bytes, "{\"mode\": "), "j.npub"); });
  EXPECT_EQ(e.rfind("j.npub: malformed header JSON", 0), 0u) << e;
}

TEST(Npub, Version10FilesWithoutLayerTablesStillLoad) {
  const auto bytes = serialize(sample());
  auto h = header_of(bytes);
  for (auto& seg : h["segments"]) seg.erase("layers");
  auto older = with_header(bytes, h.dump());
  older[6] = 0;  // minor version 1.0
  const Program p = deserialize(older);
  EXPECT_TRUE(std::get<NpuSegment>(p.segments[0]).layers.empty());
  EXPECT_TRUE(std::get<CpuSegment>(p.segments[1]).layers.empty());
}

TEST(NpubErrors, MalformedLayerTableNamesTheField) {
  const auto bytes = serialize(sample());
  auto h = header_of(bytes);
  h["segments"][0]["layers"][1]["first"][1] = {0, 1};
  std::string e = error_of([&] { deserialize(with_header(bytes, h.dump()), "l.npub"); });
  EXPECT_EQ(e,
            "l.npub: malformed header: field 'segments[0].layers[1].first[1]': expected 3 engines");
  h = header_of(bytes);
  h["segments"][1]["layers"][0].erase("op");
  e = error_of([&] { deserialize(with_header(bytes, h.dump()), "l.npub"); });
  EXPECT_EQ(e, "l.npub: malformed header: missing field 'segments[1].layers[0].op'");
}

TEST(NpubErrors, BlobPastTheEndIsTruncation) {
  const auto bytes = serialize(sample());
  auto h = header_of(bytes);
  h["segments"][0]["weights"]["offset"] = 1u << 30;
  const std::string e = error_of([&] { deserialize(with_header(bytes, h.dump()), "b.npub"); });
  EXPECT_TRUE(contains(e, "b.npub: truncated: segment 'backbone' blob 'weights'")) << e;
}

TEST(CheckHardware, MismatchNamesKeyAndBothValues) {
  Program p;
  set_param(p.hw, "sram_per_pe", "8MiB");
  const std::string e = error_of([&] { check_hardware(p, preset("warboy")); });
  EXPECT_EQ(e, "program compiled for sram_per_pe=8MiB but device has sram_per_pe=16MiB");
  EXPECT_NO_THROW(check_hardware(p, p.hw));
}

// Exactly the parameters the compiled code depends on are compared (the
// compiler plans with them, the verifier checks against them); a program
// compiled for one bandwidth, clock, DRAM size or host link runs on another.
TEST(CheckHardware, OnlyProgramRelevantParametersAreCompared) {
  EXPECT_EQ(program_relevant_keys(), (std::vector<std::string>{"num_pes", "array", "dataflow",
                                                               "sram_per_pe", "num_semaphores"}));
  const HwParams device = preset("warboy");
  int compared = 0, ignored = 0;
  for (const auto& [key, value] : describe(device)) {
    if (key == "preset") continue;  // a label, not hardware
    Program p;
    for (const auto& other :
         {std::string("1"), std::string("3"), std::string("os"), std::string("32x32"),
          std::string("1GHz"), std::string("1GB/s"), std::string("1MiB"), std::string("4KiB"),
          std::string("1us"), std::string("5000")}) {
      try {
        set_param(p.hw, key, other);
      } catch (const ParamError&) {
        continue;
      }
      if (!(p.hw == device)) break;
    }
    ASSERT_FALSE(p.hw == device) << "could not change " << key;
    const auto& relevant = program_relevant_keys();
    if (std::find(relevant.begin(), relevant.end(), key) == relevant.end()) {
      EXPECT_NO_THROW(check_hardware(p, device)) << key;
      ++ignored;
      continue;
    }
    std::string compiled_value;
    for (const auto& [k, v] : describe(p.hw))
      if (k == key) compiled_value = v;
    EXPECT_EQ(error_of([&] { check_hardware(p, device); }),
              "program compiled for " + key + "=" + compiled_value + " but device has " + key +
                  "=" + value);
    ++compared;
  }
  EXPECT_EQ(compared, 5);
  EXPECT_EQ(ignored, 13);
}

TEST(CheckHardware, ProgramDifferenceNamesTheFirstRelevantKey) {
  HwParams compiled = preset("warboy"), device = preset("warboy");
  set_param(device, "dram_bandwidth", "33GB/s");
  set_param(device, "dram_size", "1GiB");
  EXPECT_FALSE(program_difference(compiled, device));
  set_param(device, "num_semaphores", "16");
  set_param(device, "array", "32x64");
  const auto d = program_difference(compiled, device);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->key, "array");
  EXPECT_EQ(d->compiled, "64x128");
  EXPECT_EQ(d->device, "32x64");
  EXPECT_EQ(program_relevant_text(compiled),
            "num_pes=2\narray=64x128\ndataflow=ws\nsram_per_pe=16MiB\nnum_semaphores=32\n");
}

TEST(CheckHardware, PresetNameAloneIsNotAMismatch) {
  Program p;
  HwParams device = preset("warboy");
  device.name = "my-board";
  EXPECT_NO_THROW(check_hardware(p, device));
}

TEST(TensorInfoBytes, BytesFromShapeAndDtype) {
  EXPECT_EQ((TensorInfo{"a", {1, 8, 8, 16}, "int8"}.bytes()), 1024u);
  EXPECT_EQ((TensorInfo{"a", {2, 10}, "float32"}.bytes()), 80u);
  EXPECT_EQ((TensorInfo{"a", {3}, "int32"}.bytes()), 12u);
  EXPECT_EQ((TensorInfo{"a", {}, "uint8"}.bytes()), 1u);
  EXPECT_THROW((TensorInfo{"a", {2}, "complex"}.bytes()), ProgramError);
  EXPECT_THROW((TensorInfo{"a", {-1}, "int8"}.bytes()), ProgramError);
}

TEST(ProgramMode, Names) {
  EXPECT_EQ(mode_name(Mode::kSingle), "single");
  EXPECT_EQ(mode_name(Mode::kFused), "fused");
}

}  // namespace
}  // namespace npusim::isa
