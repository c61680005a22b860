// Binary encoding of instructions (docs/isa.md, "Encoding"): a header word
// (opcode, size, reserved) followed by the opcode's fields from the opcode
// table, packed LSB-first into little-endian 32-bit words.
#include <algorithm>
#include <cstdio>
#include <string>

#include "npusim/isa/instruction.hpp"

namespace npusim::isa {
namespace {

constexpr uint32_t kOpcodeMask = 0xff;
constexpr int kSizeShift = 8;
constexpr uint32_t kSizeMask = 0xff;
constexpr int kReservedShift = 16;

uint64_t low_mask(int bits) {
  return bits >= 64 ? ~0ull : (1ull << bits) - 1;
}

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// The inclusive range a field of `bits` width and `kind` can hold.
std::pair<int64_t, int64_t> field_range(const FieldSpec& spec) {
  if (spec.kind == FieldKind::kSigned) {
    const int64_t half = int64_t{1} << (spec.bits - 1);
    return {-half, half - 1};
  }
  return {0, static_cast<int64_t>(low_mask(spec.bits))};
}

void check_fits(const OpcodeInfo& info, const FieldSpec& spec, int64_t v) {
  const auto [lo, hi] = field_range(spec);
  if (v >= lo && v <= hi) return;
  const char* kind = spec.kind == FieldKind::kSigned ? "signed" : "unsigned";
  throw IsaError(std::string(info.mnemonic) + ": value " + std::to_string(v) + " of field '" +
                 std::string(field_name(spec.field)) + "' does not fit its " +
                 std::to_string(spec.bits) + "-bit " + kind + " range [" + std::to_string(lo) +
                 ", " + std::to_string(hi) + "]");
}

// A value left in a field the opcode does not have would be silently lost
// by encoding; it is almost always a compiler bug, so it is refused.
void check_no_foreign_fields(const OpcodeInfo& info, const Instruction& in) {
  std::array<bool, kNumFields> used{};
  for (const auto& spec : info.fields) used[static_cast<size_t>(spec.field)] = true;
  for (int f = 0; f < kNumFields; ++f) {
    if (used[f] || in.values[f] == 0) continue;
    throw IsaError(std::string(info.mnemonic) + ": has no field '" +
                   std::string(field_name(static_cast<Field>(f))) + "' (value " +
                   std::to_string(in.values[f]) + ")");
  }
}

// Writes / reads bit fields LSB-first across consecutive 32-bit words.
class BitWriter {
 public:
  explicit BitWriter(uint32_t* words) : words_(words) {}
  void put(uint64_t v, int bits) {
    while (bits > 0) {
      const int word = pos_ / 32, shift = pos_ % 32;
      const int n = std::min(bits, 32 - shift);
      words_[word] |= static_cast<uint32_t>((v & low_mask(n)) << shift);
      v >>= n;
      bits -= n;
      pos_ += n;
    }
  }

 private:
  uint32_t* words_;
  int pos_ = 0;
};

class BitReader {
 public:
  explicit BitReader(const uint32_t* words) : words_(words) {}
  uint64_t get(int bits) {
    uint64_t v = 0;
    for (int done = 0; done < bits;) {
      const int word = pos_ / 32, shift = pos_ % 32;
      const int n = std::min(bits - done, 32 - shift);
      v |= ((static_cast<uint64_t>(words_[word]) >> shift) & low_mask(n)) << done;
      done += n;
      pos_ += n;
    }
    return v;
  }
  int position() const { return pos_; }

 private:
  const uint32_t* words_;
  int pos_ = 0;
};

int64_t sign_extend(uint64_t raw, int bits) {
  const uint64_t sign = 1ull << (bits - 1);
  return static_cast<int64_t>((raw ^ sign) - sign);
}

[[noreturn]] void decode_error(size_t index, size_t pos, const std::string& reason) {
  throw IsaError("instruction " + std::to_string(index) + " (word " + std::to_string(pos) +
                 "): " + reason);
}

const OpcodeInfo& check_header(std::span<const uint32_t> words, size_t pos, size_t index) {
  if (pos >= words.size()) decode_error(index, pos, "truncated stream: no header word");
  const uint32_t h = words[pos];
  const OpcodeInfo* info = find_opcode(static_cast<uint8_t>(h & kOpcodeMask));
  if (!info) decode_error(index, pos, "unknown opcode " + hex(h & kOpcodeMask));
  const std::string name(info->mnemonic);
  if (h >> kReservedShift)
    decode_error(index, pos,
                 name + ": nonzero reserved bits " + hex(h >> kReservedShift) + " in header");
  const int size = static_cast<int>((h >> kSizeShift) & kSizeMask);
  if (size != info->words)
    decode_error(index, pos,
                 name + ": size mismatch: header says " + std::to_string(size) +
                     " words, the opcode has " + std::to_string(info->words));
  if (words.size() - pos < static_cast<size_t>(size))
    decode_error(index, pos,
                 name + ": truncated stream: needs " + std::to_string(size) + " words, " +
                     std::to_string(words.size() - pos) + " remain");
  return *info;
}

}  // namespace

void encode(const Instruction& instr, std::vector<uint32_t>& out) {
  const OpcodeInfo* info = find_opcode(static_cast<uint8_t>(instr.op));
  if (!info) throw IsaError("cannot encode unknown opcode " + hex(static_cast<uint8_t>(instr.op)));
  check_no_foreign_fields(*info, instr);
  for (const auto& spec : info->fields) check_fits(*info, spec, instr[spec.field]);
  const size_t start = out.size();
  out.resize(start + info->words, 0);
  out[start] = static_cast<uint32_t>(info->opcode) | static_cast<uint32_t>(info->words)
                                                         << kSizeShift;
  BitWriter w(out.data() + start + 1);
  for (const auto& spec : info->fields)
    w.put(static_cast<uint64_t>(instr[spec.field]) & low_mask(spec.bits), spec.bits);
}

std::vector<uint32_t> encode(std::span<const Instruction> program) {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < program.size(); ++i) {
    try {
      encode(program[i], out);
    } catch (const IsaError& e) {
      throw IsaError("instruction " + std::to_string(i) + ": " + e.what());
    }
  }
  return out;
}

int decode_one(std::span<const uint32_t> words, size_t pos, Instruction& out, size_t index) {
  const OpcodeInfo& info = check_header(words, pos, index);
  Instruction in;
  in.op = info.opcode;
  BitReader r(words.data() + pos + 1);
  for (const auto& spec : info.fields) {
    const uint64_t raw = r.get(spec.bits);
    in[spec.field] =
        spec.kind == FieldKind::kSigned ? sign_extend(raw, spec.bits) : static_cast<int64_t>(raw);
  }
  // The bits after the last field are padding; requiring zeros keeps every
  // instruction's encoding unique and catches streams decoded out of step.
  const int payload_bits = (info.words - 1) * 32;
  const uint64_t padding = r.get(payload_bits - r.position());
  if (padding)
    decode_error(index, pos,
                 std::string(info.mnemonic) + ": nonzero padding bits after the last field");
  out = in;
  return info.words;
}

std::vector<Instruction> decode(std::span<const uint32_t> words) {
  std::vector<Instruction> out;
  for (size_t pos = 0; pos < words.size();) {
    Instruction in;
    pos += decode_one(words, pos, in, out.size());
    out.push_back(in);
  }
  return out;
}

}  // namespace npusim::isa
