// Reading the .npub container (docs/npub.md). Every error names the file
// and the reason; header errors name the JSON field, blob errors the segment
// and blob.
#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <span>

#include "npub_format.hpp"
#include "npusim/common/files.hpp"
#include "npusim/common/limits.hpp"
#include "npusim/isa/program.hpp"

namespace npusim::isa {
namespace {

using nlohmann::json;

// A JSON value with its path from the header root, e.g. "segments[0].name".
struct Node {
  const json& j;
  std::string path;
};

uint32_t get_u32(std::span<const uint8_t> b, size_t at) {
  return b[at] | b[at + 1] << 8 | b[at + 2] << 16 | static_cast<uint32_t>(b[at + 3]) << 24;
}

uint16_t get_u16(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint16_t>(b[at] | b[at + 1] << 8);
}

class Reader {
 public:
  Reader(std::span<const uint8_t> file, std::string origin)
      : file_(file), origin_(std::move(origin)) {}

  Program read() {
    const json header = parse_header();
    const Node root{header, ""};
    Program p;
    check_isa_version(member(root, "isa_version"));
    p.mode = mode(member(root, "mode"));
    p.batch = static_cast<int>(integer(member(root, "batch"), 1, INT32_MAX));
    p.hw = hw(member(root, "hw"));
    p.inputs = tensors(member(root, "inputs"));
    p.outputs = tensors(member(root, "outputs"));
    p.tensors = tensors(member(root, "tensors"));
    for (const Node& s : elements(member(root, "segments"))) p.segments.push_back(segment(s));
    return p;
  }

 private:
  [[noreturn]] void fail(const std::string& reason) const {
    throw ProgramError(origin_ + ": " + reason);
  }
  [[noreturn]] void malformed(const Node& n, const std::string& why) const {
    fail("malformed header: " + (n.path.empty() ? "top level" : "field '" + n.path + "'") + ": " +
         why);
  }

  // --- preamble and header ---

  json parse_header() {
    const size_t n = file_.size();
    if (n >= 4 && std::memcmp(file_.data(), npub::kMagic, 4) != 0)
      fail("bad magic (not an .npub file; expected \"NPUB\" at offset 0)");
    if (n < npub::kPreambleBytes)
      fail("truncated: " + std::to_string(n) + " bytes, shorter than the 16-byte preamble");
    const uint16_t major = get_u16(file_, 4), minor = get_u16(file_, 6);
    if (major != kNpubMajor)
      fail("unsupported format version " + std::to_string(major) + "." + std::to_string(minor) +
           " (this reader supports " + std::to_string(kNpubMajor) + ".x)");
    const uint32_t length = get_u32(file_, 8), stored = get_u32(file_, 12);
    if (length > n - npub::kPreambleBytes)
      fail("truncated: header of " + std::to_string(length) + " bytes extends past the end (" +
           std::to_string(n) + " bytes)");
    const auto text = file_.subspan(npub::kPreambleBytes, length);
    const uint32_t computed = npub::crc32_of(text.data(), text.size());
    if (computed != stored)
      fail("checksum mismatch in header (stored " + npub::hex32(stored) + ", computed " +
           npub::hex32(computed) + ")");
    data_ = file_.subspan(npub::kPreambleBytes + length);
    try {
      return json::parse(text.begin(), text.end());
    } catch (const json::exception& e) {
      fail(std::string("malformed header JSON: ") + e.what());
    }
  }

  // --- typed access to JSON values ---

  Node member(const Node& n, const std::string& key) const {
    if (!n.j.is_object()) malformed(n, "expected an object");
    const std::string path = n.path.empty() ? key : n.path + "." + key;
    auto it = n.j.find(key);
    if (it == n.j.end()) fail("malformed header: missing field '" + path + "'");
    return {*it, path};
  }

  std::vector<Node> elements(const Node& n) const {
    if (!n.j.is_array()) malformed(n, "expected an array");
    std::vector<Node> out;
    for (size_t i = 0; i < n.j.size(); ++i)
      out.push_back({n.j[i], n.path + "[" + std::to_string(i) + "]"});
    return out;
  }

  std::string text(const Node& n) const {
    if (!n.j.is_string()) malformed(n, "expected a string");
    return n.j.get<std::string>();
  }

  uint64_t unsigned_integer(const Node& n) const {
    if (!n.j.is_number_unsigned()) malformed(n, "expected a non-negative integer");
    return n.j.get<uint64_t>();
  }

  int64_t integer(const Node& n, int64_t lo, int64_t hi) const {
    const bool ok = n.j.is_number_integer() &&
                    !(n.j.is_number_unsigned() &&
                      n.j.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max()));
    if (!ok) malformed(n, "expected an integer");
    const int64_t v = n.j.get<int64_t>();
    if (v < lo || v > hi)
      malformed(n, std::to_string(v) + " is outside [" + std::to_string(lo) + ", " +
                       std::to_string(hi) + "]");
    return v;
  }

  std::vector<std::string> names(const Node& n) const {
    std::vector<std::string> out;
    for (const Node& e : elements(n)) out.push_back(text(e));
    return out;
  }

  // --- program parts ---

  void check_isa_version(const Node& n) const {
    const uint64_t v = unsigned_integer(n);
    if (v != kIsaVersion)
      fail("program uses ISA version " + std::to_string(v) + ", this build implements version " +
           std::to_string(kIsaVersion));
  }

  Mode mode(const Node& n) const {
    const std::string m = text(n);
    if (m == mode_name(Mode::kSingle)) return Mode::kSingle;
    if (m == mode_name(Mode::kFused)) return Mode::kFused;
    malformed(n, "expected \"single\" or \"fused\", got \"" + m + "\"");
  }

  // Parameters are stored as describe() text and applied in order with
  // set_param, so the reader shares the one parser of docs/params.md.
  HwParams hw(const Node& n) const {
    HwParams hw = preset("warboy");
    for (const Node& pair : elements(n)) {
      if (!pair.j.is_array() || pair.j.size() != 2) malformed(pair, "expected [key, value]");
      const auto kv = elements(pair);
      try {
        set_param(hw, text(kv[0]), text(kv[1]));
      } catch (const ParamError& e) {
        malformed(pair, e.what());
      }
    }
    return hw;
  }

  TensorInfo tensor(const Node& n) const {
    TensorInfo t;
    t.name = text(member(n, "name"));
    for (const Node& d : elements(member(n, "shape")))
      t.shape.push_back(
          integer(d, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()));
    t.dtype = text(member(n, "dtype"));
    t.layout = text(member(n, "layout"));
    const Node scale = member(n, "scale");
    if (!scale.j.is_number()) malformed(scale, "expected a number");
    t.scale = static_cast<float>(scale.j.get<double>());
    t.zero_point = static_cast<int32_t>(integer(member(n, "zero_point"), INT32_MIN, INT32_MAX));
    t.io_offset = unsigned_integer(member(n, "io_offset"));
    return t;
  }

  std::vector<TensorInfo> tensors(const Node& n) const {
    std::vector<TensorInfo> out;
    for (const Node& e : elements(n)) out.push_back(tensor(e));
    return out;
  }

  Segment segment(const Node& n) const {
    const std::string kind = text(member(n, "kind"));
    if (kind == "npu") return npu_segment(n);
    if (kind == "cpu") return cpu_segment(n);
    malformed(member(n, "kind"), "expected \"npu\" or \"cpu\", got \"" + kind + "\"");
  }

  NpuSegment npu_segment(const Node& n) const {
    NpuSegment s;
    s.name = text(member(n, "name"));
    s.inputs = names(member(n, "inputs"));
    s.outputs = names(member(n, "outputs"));
    s.scratch_bytes = unsigned_integer(member(n, "scratch_bytes"));
    s.io_bytes = unsigned_integer(member(n, "io_bytes"));
    const auto w = blob(member(n, "weights"), s.name, "weights");
    s.weights.assign(w.begin(), w.end());
    for (const Node& st : elements(member(n, "streams"))) stream(st, s);
    s.layers = layers(n, true);
    return s;
  }

  void stream(const Node& n, NpuSegment& s) const {
    const Node slot_node = member(n, "slot"), engine_node = member(n, "engine");
    const auto slot = integer(slot_node, 0, 1);
    const std::string engine = text(engine_node);
    int e = 0;
    while (e < kNumEngines && engine_name(static_cast<Engine>(e)) != engine) ++e;
    if (e == kNumEngines) malformed(engine_node, "unknown engine \"" + engine + "\"");
    auto& words = s.streams[slot][e];
    if (!words.empty())
      malformed(n, "second stream for slot " + std::to_string(slot) + " " + engine);
    const Node code = member(n, "code");
    const auto bytes = blob(code, s.name, "code slot " + std::to_string(slot) + " " + engine);
    if (bytes.size() % 4) malformed(member(code, "size"), "code size is not a multiple of 4");
    words.resize(bytes.size() / 4);
    // Stored little-endian, as the writer checks the host is.
    static_assert(std::endian::native == std::endian::little);
    std::memcpy(words.data(), bytes.data(), bytes.size());
  }

  CpuSegment cpu_segment(const Node& n) const {
    CpuSegment s;
    s.name = text(member(n, "name"));
    s.inputs = names(member(n, "inputs"));
    s.outputs = names(member(n, "outputs"));
    const auto onnx = blob(member(n, "onnx"), s.name, "onnx");
    s.onnx.assign(onnx.begin(), onnx.end());
    s.layers = layers(n, false);
    return s;
  }

  // The optional layer table (format 1.1).
  std::vector<LayerInfo> layers(const Node& segment, bool npu) const {
    std::vector<LayerInfo> out;
    if (!segment.j.contains("layers")) return out;
    for (const Node& l : elements(member(segment, "layers"))) {
      LayerInfo info;
      info.name = text(member(l, "name"));
      info.op = text(member(l, "op"));
      if (l.j.contains("reason")) info.reason = text(member(l, "reason"));
      if (npu) {
        const auto slots = elements(member(l, "first"));
        if (slots.size() != 2) malformed(member(l, "first"), "expected 2 slots of 3 engines");
        for (int slot = 0; slot < 2; ++slot) {
          const auto engines = elements(slots[slot]);
          if (engines.size() != kNumEngines) malformed(slots[slot], "expected 3 engines");
          for (int e = 0; e < kNumEngines; ++e)
            info.first[slot][e] = static_cast<uint32_t>(integer(engines[e], 0, UINT32_MAX));
        }
      }
      out.push_back(info);
    }
    return out;
  }

  // The bytes of a blob reference {offset, size, crc32}, checked.
  std::span<const uint8_t> blob(const Node& n, const std::string& segment,
                                const std::string& name) const {
    const uint64_t offset = unsigned_integer(member(n, "offset"));
    const uint64_t size = unsigned_integer(member(n, "size"));
    const Node crc_node = member(n, "crc32");
    const uint64_t stored = unsigned_integer(crc_node);
    if (stored > UINT32_MAX) malformed(crc_node, "not a 32-bit value");
    const std::string what = "segment '" + segment + "' blob '" + name + "'";
    if (offset > data_.size() || size > data_.size() - offset)
      fail("truncated: " + what + " [" + std::to_string(offset) + ", " +
           std::to_string(offset + size) + ") extends past the end of the data area (" +
           std::to_string(data_.size()) + " bytes)");
    const auto bytes = data_.subspan(offset, size);
    const uint32_t computed = npub::crc32_of(bytes.data(), bytes.size());
    if (computed != stored)
      fail("checksum mismatch in " + what + " (stored " + npub::hex32(uint32_t(stored)) +
           ", computed " + npub::hex32(computed) + ")");
    return bytes;
  }

  std::span<const uint8_t> file_;
  std::span<const uint8_t> data_;  // the blob area after the header
  std::string origin_;
};

}  // namespace

Program deserialize(const std::vector<uint8_t>& bytes, const std::string& origin) {
  return Reader(bytes, origin).read();
}

Program load_program(const std::string& path) {
  std::string bytes;
  try {
    bytes = files::read_file(path, limits::kMaxProgramFileBytes, "a program (.npub) file");
  } catch (const files::FileError& e) {
    throw ProgramError(e.what());
  }
  return deserialize(std::vector<uint8_t>(bytes.begin(), bytes.end()), path);
}

}  // namespace npusim::isa
