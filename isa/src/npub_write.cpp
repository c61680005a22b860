// Writing the .npub container (docs/npub.md): a fixed preamble, a JSON
// header, then the binary blobs it references by {offset, size, crc32}.
#include <bit>
#include <cstring>
#include <nlohmann/json.hpp>

#include "npub_format.hpp"
#include "npusim/common/files.hpp"
#include "npusim/isa/program.hpp"

namespace npusim::isa {
namespace {

using nlohmann::json;

// Collects blobs into the data area and returns their references.
class BlobArea {
 public:
  // Pads before (not after) each blob, so the file ends with its last blob.
  json add(const void* data, size_t size) {
    bytes_.resize(npub::align_up(bytes_.size()), 0);
    const size_t offset = bytes_.size();
    const auto* p = static_cast<const uint8_t*>(data);
    bytes_.insert(bytes_.end(), p, p + size);
    return {{"offset", offset}, {"size", size}, {"crc32", npub::crc32_of(data, size)}};
  }
  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

json tensor_json(const TensorInfo& t) {
  return {{"name", t.name},          {"shape", t.shape}, {"dtype", t.dtype},
          {"layout", t.layout},      {"scale", t.scale}, {"zero_point", t.zero_point},
          {"io_offset", t.io_offset}};
}

json tensors_json(const std::vector<TensorInfo>& ts) {
  json a = json::array();
  for (const auto& t : ts) a.push_back(tensor_json(t));
  return a;
}

json layers_json(const std::vector<LayerInfo>& layers, bool npu) {
  json a = json::array();
  for (const LayerInfo& l : layers) {
    json j = {{"name", l.name}, {"op", l.op}};
    if (npu) j["first"] = l.first;
    if (!l.reason.empty()) j["reason"] = l.reason;
    a.push_back(j);
  }
  return a;
}

json npu_segment_json(const NpuSegment& s, BlobArea& blobs) {
  json streams = json::array();
  for (int slot = 0; slot < 2; ++slot) {
    for (int e = 0; e < kNumEngines; ++e) {
      const auto& words = s.streams[slot][e];
      if (words.empty()) continue;  // an empty stream is "no stream"
      // Code words are stored little-endian; this writer assumes a
      // little-endian host (checked below).
      streams.push_back({{"slot", slot},
                         {"engine", engine_name(static_cast<Engine>(e))},
                         {"code", blobs.add(words.data(), words.size() * 4)}});
    }
  }
  return {{"kind", "npu"},
          {"name", s.name},
          {"inputs", s.inputs},
          {"outputs", s.outputs},
          {"scratch_bytes", s.scratch_bytes},
          {"io_bytes", s.io_bytes},
          {"weights", blobs.add(s.weights.data(), s.weights.size())},
          {"streams", streams},
          {"layers", layers_json(s.layers, true)}};
}

json cpu_segment_json(const CpuSegment& s, BlobArea& blobs) {
  return {{"kind", "cpu"},
          {"name", s.name},
          {"inputs", s.inputs},
          {"outputs", s.outputs},
          {"onnx", blobs.add(s.onnx.data(), s.onnx.size())},
          {"layers", layers_json(s.layers, false)}};
}

// The path of the first string in `j` that is not valid UTF-8 (JSON text
// must be; names that came from ONNX or assembly text are bytes), e.g.
// "outputs[0].name", or "" if there is none.
std::string first_invalid_text(const json& j, const std::string& path) {
  if (j.is_string()) {
    try {
      (void)j.dump();
      return "";
    } catch (const json::exception&) {
      return path.empty() ? "top level" : path;
    }
  }
  if (j.is_object()) {
    for (const auto& [key, value] : j.items()) {
      std::string bad = first_invalid_text(value, path.empty() ? key : path + "." + key);
      if (!bad.empty()) return bad;
    }
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) {
      std::string bad = first_invalid_text(j[i], path + "[" + std::to_string(i) + "]");
      if (!bad.empty()) return bad;
    }
  }
  return "";
}

json header_json(const Program& p, BlobArea& blobs) {
  json hw = json::array();
  for (const auto& [k, v] : describe(p.hw)) hw.push_back(json::array({k, v}));
  json segments = json::array();
  for (const auto& seg : p.segments) {
    if (const auto* npu = std::get_if<NpuSegment>(&seg))
      segments.push_back(npu_segment_json(*npu, blobs));
    else
      segments.push_back(cpu_segment_json(std::get<CpuSegment>(seg), blobs));
  }
  return {{"isa_version", kIsaVersion},
          {"mode", mode_name(p.mode)},
          {"batch", p.batch},
          {"hw", hw},
          {"inputs", tensors_json(p.inputs)},
          {"outputs", tensors_json(p.outputs)},
          {"tensors", tensors_json(p.tensors)},
          {"segments", segments}};
}

void put_u16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(v & 0xff);
  out.push_back(v >> 8);
}

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back((v >> (8 * i)) & 0xff);
}

}  // namespace

std::vector<uint8_t> serialize(const Program& p) {
  static_assert(std::endian::native == std::endian::little,
                "the .npub writer stores code words in host order");
  BlobArea blobs;
  const json j = header_json(p, blobs);
  std::string header;
  try {
    header = j.dump(1);
  } catch (const nlohmann::json::exception& e) {
    const std::string field = first_invalid_text(j, "");
    if (!field.empty())
      throw ProgramError("cannot serialize program: header field '" + field +
                         "' is not valid UTF-8 text");
    throw ProgramError(std::string("cannot serialize program: ") + e.what());
  }
  header.resize(npub::align_up(npub::kPreambleBytes + header.size()) - npub::kPreambleBytes, ' ');
  std::vector<uint8_t> out(npub::kMagic, npub::kMagic + 4);
  put_u16(out, kNpubMajor);
  put_u16(out, kNpubMinor);
  put_u32(out, static_cast<uint32_t>(header.size()));
  put_u32(out, npub::crc32_of(header.data(), header.size()));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), blobs.bytes().begin(), blobs.bytes().end());
  return out;
}

// Through a temporary beside the target, renamed into place when complete
// (files::write_file): a reader never sees a half-written file and a
// failure leaves any previous file intact.
void save_program(const Program& p, const std::string& path) {
  std::vector<uint8_t> bytes;
  try {
    bytes = serialize(p);
  } catch (const ProgramError& e) {
    throw ProgramError(path + ": " + e.what());
  }
  try {
    files::write_file(path,
                      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  } catch (const files::FileError& e) {
    throw ProgramError(e.what());
  }
}

}  // namespace npusim::isa
