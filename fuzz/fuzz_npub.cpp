// libFuzzer harness: the .npub reader and the verifier (isa::deserialize,
// isa::verify, isa::check_hardware, isa::disassemble), as `npusim exec`,
// `run` and `disasm` use them on a program file. Every input is either read
// or refused with ProgramError / IsaError; anything else (a crash, a leak, a
// sanitizer report, another exception) is a finding.
//
// The container's CRC-32s would stop almost every mutation at the checksum
// test, so each input is tried twice: as it is, and with every checksum
// recomputed (with_fixed_checksums), which lets mutations reach the header
// fields, the code and the weights.
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include <zlib.h>

#include "npusim/isa/assembler.hpp"
#include "npusim/isa/instruction.hpp"
#include "npusim/isa/program.hpp"
#include "npusim/isa/verifier.hpp"

namespace {

using nlohmann::json;
using Bytes = std::vector<uint8_t>;

uint32_t crc32_of(const uint8_t* data, size_t n) {
  return static_cast<uint32_t>(crc32_z(crc32_z(0, nullptr, 0), data, n));
}

void put_u32(Bytes& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// Sets the crc32 of every blob reference {offset, size, crc32} that lies
// inside the data area to the checksum of its bytes.
void fix_blob_checksums(json& j, const uint8_t* data, size_t size) {
  if (j.is_object() && j.contains("offset") && j.contains("size") && j.contains("crc32") &&
      j["offset"].is_number_unsigned() && j["size"].is_number_unsigned()) {
    const uint64_t offset = j["offset"].get<uint64_t>(), n = j["size"].get<uint64_t>();
    if (offset <= size && n <= size - offset) j["crc32"] = crc32_of(data + offset, n);
  }
  if (j.is_structured())
    for (json& child : j) fix_blob_checksums(child, data, size);
}

// The input with its header and blob checksums recomputed, or nothing if it
// has no NPUB preamble or no parseable header to rewrite.
std::optional<Bytes> with_fixed_checksums(const Bytes& in) {
  if (in.size() < 16 || std::memcmp(in.data(), "NPUB", 4) != 0) return std::nullopt;
  const uint32_t length = in[8] | in[9] << 8 | in[10] << 16 | uint32_t(in[11]) << 24;
  if (length > in.size() - 16) return std::nullopt;
  json header = json::parse(in.begin() + 16, in.begin() + 16 + length, nullptr, false);
  if (header.is_discarded()) return std::nullopt;
  const uint8_t* data = in.data() + 16 + length;
  fix_blob_checksums(header, data, in.size() - 16 - length);
  const std::string text = header.dump();
  Bytes out(in.begin(), in.begin() + 8);  // magic and version
  put_u32(out, static_cast<uint32_t>(text.size()));
  put_u32(out, crc32_of(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  out.insert(out.end(), text.begin(), text.end());
  out.insert(out.end(), data, in.data() + in.size());
  return out;
}

void check(const Bytes& bytes) {
  using namespace npusim::isa;
  Program p;
  try {
    p = deserialize(bytes, "fuzz.npub");
  } catch (const ProgramError&) {
    return;
  }
  (void)verify(p, p.hw);
  try {
    check_hardware(p, p.hw);
  } catch (const ProgramError&) {
  }
  try {
    (void)disassemble(p);
  } catch (const IsaError&) {  // undecodable words: disasm names the segment and stream
  }
  // What the reader accepted, the writer writes, and reading that back gives
  // the same program (compared through its bytes).
  const Bytes once = serialize(p);
  if (serialize(deserialize(once, "fuzz.npub (rewritten)")) != once) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Bytes bytes(data, data + size);
  check(bytes);
  if (auto fixed = with_fixed_checksums(bytes)) check(*fixed);
  return 0;
}
