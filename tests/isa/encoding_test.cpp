// Binary encoding: exact round trips for every opcode, the documented bit
// layout, and the named errors of encode/decode.
#include <gtest/gtest.h>

#include <random>

#include "npusim/isa/instruction.hpp"

namespace npusim::isa {
namespace {

using F = Field;

int64_t field_min(const FieldSpec& s) {
  return s.kind == FieldKind::kSigned ? -(int64_t{1} << (s.bits - 1)) : 0;
}
int64_t field_max(const FieldSpec& s) {
  return s.kind == FieldKind::kSigned ? (int64_t{1} << (s.bits - 1)) - 1
                                      : (int64_t{1} << s.bits) - 1;
}

Instruction random_instruction(const OpcodeInfo& op, std::mt19937_64& rng) {
  Instruction in;
  in.op = op.opcode;
  for (const auto& s : op.fields) {
    std::uniform_int_distribution<int64_t> d(field_min(s), field_max(s));
    in[s.field] = d(rng);
  }
  return in;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const IsaError& e) {
    return e.what();
  }
  return "<no error>";
}

TEST(Encoding, EveryOpcodeRoundTripsWithRandomFields) {
  std::mt19937_64 rng(42);
  for (const auto& op : all_opcodes()) {
    for (int i = 0; i < 200; ++i) {
      const Instruction in = random_instruction(op, rng);
      std::vector<uint32_t> words;
      encode(in, words);
      ASSERT_EQ(words.size(), static_cast<size_t>(op.words)) << op.mnemonic;
      Instruction back;
      EXPECT_EQ(decode_one(words, 0, back), op.words);
      ASSERT_EQ(back, in) << op.mnemonic << " iteration " << i;
    }
  }
}

TEST(Encoding, ExtremeValuesRoundTrip) {
  for (const auto& op : all_opcodes()) {
    for (bool use_max : {false, true}) {
      Instruction in;
      in.op = op.opcode;
      for (const auto& s : op.fields) in[s.field] = use_max ? field_max(s) : field_min(s);
      std::vector<uint32_t> words;
      encode(in, words);
      Instruction back;
      decode_one(words, 0, back);
      EXPECT_EQ(back, in) << op.mnemonic << (use_max ? " max" : " min");
    }
  }
}

TEST(Encoding, WholeStreamRoundTrips) {
  std::mt19937_64 rng(7);
  std::vector<Instruction> prog;
  for (int i = 0; i < 500; ++i) {
    const auto& ops = all_opcodes();
    prog.push_back(random_instruction(ops[rng() % ops.size()], rng));
  }
  EXPECT_EQ(decode(encode(prog)), prog);
}

TEST(Encoding, HeaderWordLayout) {
  std::vector<uint32_t> w;
  encode(make(Opcode::kSemSignal, {{F::kSem, 3}, {F::kTarget, 1}}), w);
  // opcode 0x31 | 2 words << 8; then sem (8 bits) and target (1 bit) LSB-first.
  EXPECT_EQ(w, (std::vector<uint32_t>{0x231, 0x103}));
  w.clear();
  encode(make(Opcode::kEnd, {}), w);
  EXPECT_EQ(w, (std::vector<uint32_t>{0x13f}));
}

TEST(Encoding, FieldsStraddleWordBoundaries) {
  // dma.load: dram_base (2 bits) then dram_off (40 bits): bits 2..41 of the payload.
  const uint64_t off = 0xAB'CDEF'0123ull;
  std::vector<uint32_t> w;
  encode(make(Opcode::kDmaLoad, {{F::kDramBase, 1}, {F::kDramOff, int64_t(off)}}), w);
  ASSERT_GE(w.size(), 3u);
  EXPECT_EQ(w[1], static_cast<uint32_t>(1 | (off << 2)));
  EXPECT_EQ(w[2] & 0x3ff, static_cast<uint32_t>(off >> 30));
}

// Bit offset of a field within an opcode's payload (after the header word).
int bit_offset(Opcode op, Field f) {
  int bit = 0;
  for (const auto& s : info(op).fields) {
    if (s.field == f) return bit;
    bit += s.bits;
  }
  return -1;
}

TEST(Encoding, SignedFieldsAreTwosComplement) {
  std::vector<uint32_t> w;
  encode(make(Opcode::kVecRequant, {{F::kShift, -2}}), w);
  const int bit = bit_offset(Opcode::kVecRequant, F::kShift);
  uint32_t raw = 0;
  for (int i = 0; i < 8; ++i) raw |= ((w[1 + (bit + i) / 32] >> ((bit + i) % 32)) & 1) << i;
  EXPECT_EQ(raw, 0xfeu);  // -2 in 8-bit two's complement
  Instruction back;
  decode_one(w, 0, back);
  EXPECT_EQ(back[F::kShift], -2);
}

TEST(Encoding, ValueTooWideNamesMnemonicAndField) {
  std::vector<uint32_t> w;
  const std::string e = error_of([&] { encode(make(Opcode::kMatConv, {{F::kInH, 70000}}), w); });
  EXPECT_NE(e.find("mat.conv"), std::string::npos) << e;
  EXPECT_NE(e.find("'in_h'"), std::string::npos) << e;
  EXPECT_NE(e.find("16-bit unsigned"), std::string::npos) << e;
}

TEST(Encoding, NegativeValueInUnsignedFieldIsRejected) {
  std::vector<uint32_t> w;
  const std::string e = error_of([&] { encode(make(Opcode::kVecFill, {{F::kLen, -1}}), w); });
  EXPECT_NE(e.find("vec.fill"), std::string::npos) << e;
  EXPECT_NE(e.find("'len'"), std::string::npos) << e;
  EXPECT_TRUE(w.empty()) << "a failed encode must not append";
}

TEST(Encoding, SignedFieldRangeIsChecked) {
  std::vector<uint32_t> w;
  EXPECT_NO_THROW(encode(make(Opcode::kVecRequant, {{F::kShift, -128}}), w));
  const std::string e = error_of([&] { encode(make(Opcode::kVecRequant, {{F::kShift, 128}}), w); });
  EXPECT_NE(e.find("'shift'"), std::string::npos) << e;
  EXPECT_NE(e.find("[-128, 127]"), std::string::npos) << e;
}

TEST(Encoding, ValueInFieldTheOpcodeLacksIsRejected) {
  std::vector<uint32_t> w;
  const std::string e = error_of([&] { encode(make(Opcode::kDmaLoad, {{F::kLen, 4}}), w); });
  EXPECT_NE(e.find("dma.load: has no field 'len'"), std::string::npos) << e;
}

TEST(Encoding, StreamEncodeNamesInstructionIndex) {
  std::vector<Instruction> prog = {make(Opcode::kIrq, {}),
                                   make(Opcode::kIrq, {{F::kCode, 1 << 16}})};
  const std::string e = error_of([&] { encode(prog); });
  EXPECT_NE(e.find("instruction 1"), std::string::npos) << e;
  EXPECT_NE(e.find("'code'"), std::string::npos) << e;
}

std::vector<uint32_t> two_instructions() {
  std::vector<uint32_t> w;
  encode(make(Opcode::kSemWait, {{F::kSem, 1}}), w);
  encode(make(Opcode::kIrq, {{F::kCode, 5}}), w);
  return w;
}

TEST(Decoding, UnknownOpcodeNamesInstructionIndex) {
  auto w = two_instructions();
  w[2] = (w[2] & ~0xffu) | 0x7f;  // second instruction's opcode
  const std::string e = error_of([&] { decode(w); });
  EXPECT_NE(e.find("instruction 1"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown opcode 0x7f"), std::string::npos) << e;
}

TEST(Decoding, SizeMismatchIsNamed) {
  auto w = two_instructions();
  w[0] = (w[0] & ~0xff00u) | (3u << 8);
  const std::string e = error_of([&] { decode(w); });
  EXPECT_NE(e.find("instruction 0"), std::string::npos) << e;
  EXPECT_NE(e.find("sem.wait: size mismatch: header says 3 words, the opcode has 2"),
            std::string::npos)
      << e;
}

TEST(Decoding, NonzeroReservedBitsAreNamed) {
  auto w = two_instructions();
  w[2] |= 1u << 20;
  const std::string e = error_of([&] { decode(w); });
  EXPECT_NE(e.find("instruction 1"), std::string::npos) << e;
  EXPECT_NE(e.find("reserved bits"), std::string::npos) << e;
}

TEST(Decoding, TruncatedStreamIsNamed) {
  auto w = two_instructions();
  w.pop_back();
  const std::string e = error_of([&] { decode(w); });
  EXPECT_NE(e.find("instruction 1"), std::string::npos) << e;
  EXPECT_NE(e.find("truncated"), std::string::npos) << e;
  Instruction in;
  EXPECT_NE(error_of([&] { decode_one(w, 5, in, 9); }).find("instruction 9"), std::string::npos);
}

TEST(Decoding, NonzeroPaddingIsRejected) {
  auto w = two_instructions();
  w[1] |= 1u << 31;  // sem.wait uses only 8 payload bits
  const std::string e = error_of([&] { decode(w); });
  EXPECT_NE(e.find("padding"), std::string::npos) << e;
}

TEST(Decoding, EveryOpcodeRejectsEachPaddingBit) {
  for (const auto& op : all_opcodes()) {
    int used = 0;
    for (const auto& s : op.fields) used += s.bits;
    const int payload = (op.words - 1) * 32;
    for (int bit = used; bit < payload; ++bit) {
      std::vector<uint32_t> w;
      encode(make(op.opcode, {}), w);
      w[1 + bit / 32] |= 1u << (bit % 32);
      Instruction in;
      EXPECT_THROW(decode_one(w, 0, in), IsaError) << op.mnemonic << " bit " << bit;
    }
  }
}

}  // namespace
}  // namespace npusim::isa
