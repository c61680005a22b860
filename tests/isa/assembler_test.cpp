// Assembler and disassembler: syntax, exact round trips (instructions and
// whole programs), and errors that name the line and the field.
#include <gtest/gtest.h>

#include <random>

#include "npusim/isa/assembler.hpp"

namespace npusim::isa {
namespace {

using F = Field;

std::string error_of(const std::string& text) {
  try {
    assemble(text, "test.s");
  } catch (const IsaError& e) {
    return e.what();
  }
  return "<no error>";
}

const NpuSegment& npu(const Program& p) {
  return std::get<NpuSegment>(p.segments.at(0));
}

std::vector<Instruction> stream(const Program& p, int slot, Engine e) {
  return decode(npu(p).streams[slot][static_cast<int>(e)]);
}

void expect_same_tensor(const TensorInfo& a, const TensorInfo& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.shape, b.shape);
  EXPECT_EQ(a.dtype, b.dtype);
  EXPECT_EQ(a.layout, b.layout);
  EXPECT_EQ(a.scale, b.scale);
  EXPECT_EQ(a.zero_point, b.zero_point);
  EXPECT_EQ(a.io_offset, b.io_offset);
}

// Equality of what the text form carries: mode, batch, hw, the I/O table and
// the first NPU segment.
void expect_same_program(const Program& a, const Program& b) {
  EXPECT_EQ(a.mode, b.mode);
  EXPECT_EQ(a.batch, b.batch);
  EXPECT_TRUE(a.hw == b.hw) << to_text(a.hw) << "\nvs\n" << to_text(b.hw);
  ASSERT_EQ(a.inputs.size(), b.inputs.size());
  for (size_t i = 0; i < a.inputs.size(); ++i) expect_same_tensor(a.inputs[i], b.inputs[i]);
  ASSERT_EQ(a.outputs.size(), b.outputs.size());
  for (size_t i = 0; i < a.outputs.size(); ++i) expect_same_tensor(a.outputs[i], b.outputs[i]);
  const NpuSegment &sa = npu(a), &sb = npu(b);
  EXPECT_EQ(sa.name, sb.name);
  EXPECT_EQ(sa.streams, sb.streams);
  EXPECT_EQ(sa.weights, sb.weights);
  EXPECT_EQ(sa.scratch_bytes, sb.scratch_bytes);
  EXPECT_EQ(sa.io_bytes, sb.io_bytes);
  EXPECT_EQ(sa.inputs, sb.inputs);
  EXPECT_EQ(sa.outputs, sb.outputs);
}

TEST(Assembler, AssemblesDirectivesAndInstructions) {
  const Program p = assemble(R"(
# a tiny program
.mode single
.batch 2
.scratch 4096
.io 0x800
.input name=x shape=1x8x8x16 dtype=int8 layout=NHWC scale=0.5 zp=-3 offset=0
.output name=y shape=1x8x8x16 dtype=uint8 scale=0.25 zp=128 offset=1024
.weights 0102 03
.weights ff
.stream slot=0 engine=compute
  vec.fill dst=0x100 len=16 value=7   # trailing comment
  vec.requant src=0 dst=64 count=4 channels=2 mult=-5 shift=-1 clamp_lo=-128 clamp_hi=127
  end
.stream slot=0 engine=load
  sem.signal sem=3
  end
)");
  EXPECT_EQ(p.mode, Mode::kSingle);
  EXPECT_EQ(p.batch, 2);
  EXPECT_TRUE(p.hw == preset("warboy"));
  const NpuSegment& s = npu(p);
  EXPECT_EQ(s.name, "main");
  EXPECT_EQ(s.scratch_bytes, 4096u);
  EXPECT_EQ(s.io_bytes, 0x800u);
  EXPECT_EQ(s.weights, (std::vector<uint8_t>{1, 2, 3, 0xff}));
  EXPECT_EQ(s.inputs, std::vector<std::string>{"x"});
  EXPECT_EQ(s.outputs, std::vector<std::string>{"y"});
  ASSERT_EQ(p.inputs.size(), 1u);
  EXPECT_EQ(p.inputs[0].shape, (std::vector<int64_t>{1, 8, 8, 16}));
  EXPECT_EQ(p.inputs[0].zero_point, -3);
  EXPECT_EQ(p.outputs[0].dtype, "uint8");
  EXPECT_EQ(p.outputs[0].layout, "NHWC");
  EXPECT_EQ(p.outputs[0].io_offset, 1024u);
  EXPECT_EQ(p.tensors.size(), 2u);

  const auto compute = stream(p, 0, Engine::kCompute);
  ASSERT_EQ(compute.size(), 3u);
  EXPECT_EQ(compute[0], make(Opcode::kVecFill, {{F::kDst, 0x100}, {F::kLen, 16}, {F::kValue, 7}}));
  EXPECT_EQ(compute[1][F::kMult], -5);
  EXPECT_EQ(compute[1][F::kShift], -1);
  EXPECT_EQ(compute[2].op, Opcode::kEnd);
  const auto load = stream(p, 0, Engine::kLoad);
  ASSERT_EQ(load.size(), 2u);
  EXPECT_EQ(load[0], make(Opcode::kSemSignal, {{F::kSem, 3}}));
  EXPECT_TRUE(npu(p).streams[0][2].empty());
}

TEST(Assembler, HwDirectiveUsesParameterSyntax) {
  const Program p = assemble(".hw sram_per_pe=8MiB\n.hw dram_bandwidth = 30GB/s\n");
  EXPECT_EQ(p.hw.sram_per_pe, 8ull << 20);
  EXPECT_EQ(p.hw.dram_bandwidth, 30'000'000'000ull);
}

TEST(Disassembler, PrintsEveryFieldInTableOrder) {
  EXPECT_EQ(disassemble(make(Opcode::kSemSignal, {{F::kSem, 3}})), "sem.signal sem=3 target=0");
  EXPECT_EQ(disassemble(make(Opcode::kVecFill, {{F::kDst, 256}, {F::kLen, 16}, {F::kValue, 7}})),
            "vec.fill dst=0x100 len=16 value=7");
  EXPECT_EQ(disassemble(make(Opcode::kEnd, {})), "end");
  const std::string dma = disassemble(make(Opcode::kDmaH2D, {{F::kHostOff, 4096}, {F::kLen, 64}}));
  EXPECT_EQ(dma, "dma.h2d host_base=0 host_off=0x1000 dram_base=0 dram_off=0x0 len=64");
}

TEST(Disassembler, EveryOpcodeRoundTripsThroughText) {
  std::mt19937_64 rng(1234);
  for (const auto& op : all_opcodes()) {
    for (int i = 0; i < 100; ++i) {
      Instruction in;
      in.op = op.opcode;
      for (const auto& s : op.fields) {
        const bool sgn = s.kind == FieldKind::kSigned;
        const int64_t lo = sgn ? -(int64_t{1} << (s.bits - 1)) : 0;
        const int64_t hi = sgn ? (int64_t{1} << (s.bits - 1)) - 1 : (int64_t{1} << s.bits) - 1;
        in[s.field] = std::uniform_int_distribution<int64_t>(lo, hi)(rng);
      }
      const std::string text = ".stream slot=0 engine=compute\n" + disassemble(in) + "\n";
      const auto back = stream(assemble(text), 0, Engine::kCompute);
      ASSERT_EQ(back.size(), 1u);
      ASSERT_EQ(back[0], in) << disassemble(in);
    }
  }
}

Program rich_program() {
  std::mt19937_64 rng(99);
  Program p;
  p.mode = Mode::kFused;
  p.batch = 4;
  p.hw = preset("small");
  set_param(p.hw, "sram_per_pe", "8MiB");
  set_param(p.hw, "dataflow", "os");
  TensorInfo in{
      "input 0 \"quoted\" #not-a-comment", {1, 3, 224, 224}, "uint8", "NCHW", 0.0078125f, 128, 0};
  TensorInfo out{"probs=x\\y", {}, "int8", "NC", 1.0f / 3.0f, -7, 150528};
  p.inputs = {in};
  p.outputs = {out};
  NpuSegment s;
  s.name = "npu 0";
  s.scratch_bytes = 1 << 20;
  s.io_bytes = 150528 + 1;
  s.inputs = {in.name};
  s.outputs = {out.name};
  for (int i = 0; i < 100; ++i) s.weights.push_back(static_cast<uint8_t>(rng()));
  for (int slot = 0; slot < 2; ++slot) {
    std::vector<Instruction> code = {
        make(Opcode::kSemWait, {{F::kSem, 1}}),
        make(Opcode::kVecCopy, {{F::kSrc, 16}, {F::kDst, 32}, {F::kElem, 4}, {F::kCnt0, 2}}),
        make(Opcode::kSemSignal, {{F::kSem, 2}, {F::kTarget, 1}}), make(Opcode::kEnd, {})};
    s.streams[slot][1] = encode(code);
    s.streams[slot][0] = encode(std::vector<Instruction>{
        make(Opcode::kDmaLoad,
             {{F::kDramOff, 0x1234}, {F::kLen0, 8}, {F::kCnt1, 1}, {F::kCnt2, 1}}),
        make(Opcode::kEnd, {})});
  }
  p.segments.push_back(s);
  p.tensors = {in, out};
  return p;
}

TEST(Disassembler, WholeProgramRoundTripsExactly) {
  const Program p = rich_program();
  const std::string text = disassemble(p);
  const Program back = assemble(text, "round-trip.s");
  expect_same_program(back, p);
  EXPECT_EQ(disassemble(back), text);
}

NpuSegment main_segment() {
  NpuSegment s;
  s.name = "main";
  return s;
}

TEST(Disassembler, DefaultProgramRoundTrips) {
  Program p;
  p.segments.push_back(main_segment());
  const std::string text = disassemble(p);
  EXPECT_EQ(text.find(".hw"), std::string::npos) << "warboy defaults need no .hw lines\n" << text;
  expect_same_program(assemble(text), p);
}

TEST(Disassembler, BadStreamNamesSegmentSlotAndEngine) {
  Program p;
  NpuSegment s = main_segment();
  s.streams[0][2] = {0x7f};
  p.segments.push_back(s);
  try {
    disassemble(p);
    FAIL() << "expected IsaError";
  } catch (const IsaError& e) {
    EXPECT_EQ(std::string(e.what()),
              "segment 'main' slot 0 store: instruction 0 (word 0): unknown opcode 0x7f");
  }
}

TEST(Disassembler, PrintsOnlyNonDefaultHardwareKeys) {
  Program p;
  p.hw.num_semaphores = 64;
  p.segments.push_back(main_segment());
  const std::string text = disassemble(p);
  EXPECT_NE(text.find(".hw num_semaphores=64\n"), std::string::npos) << text;
  EXPECT_EQ(text.find(".hw sram_per_pe"), std::string::npos) << text;
}

TEST(AssemblerErrors, UnknownMnemonicNamesLine) {
  EXPECT_EQ(error_of(".stream slot=0 engine=load\n\nfrobnicate x=1\n"),
            "test.s:3: unknown mnemonic 'frobnicate'");
}

TEST(AssemblerErrors, UnknownFieldNamesLineAndField) {
  EXPECT_EQ(error_of(".stream slot=0 engine=compute\nvec.fill dst=0 colour=3\n"),
            "test.s:2: vec.fill: unknown field 'colour'");
  // A real field name that this opcode does not have.
  EXPECT_EQ(error_of(".stream slot=0 engine=load\ndma.load len=3\n"),
            "test.s:2: dma.load: unknown field 'len'");
}

TEST(AssemblerErrors, ValueOutOfRangeNamesLineAndField) {
  const std::string e = error_of(".stream slot=0 engine=compute\nvec.fill value=256\n");
  EXPECT_EQ(e.rfind("test.s:2: vec.fill", 0), 0u) << e;
  EXPECT_NE(e.find("'value'"), std::string::npos) << e;
  const std::string neg = error_of(".stream slot=0 engine=compute\nvec.fill len=-1\n");
  EXPECT_NE(neg.find("'len'"), std::string::npos) << neg;
}

TEST(AssemblerErrors, MalformedInputsAreNamed) {
  EXPECT_EQ(error_of("end\n"),
            "test.s:1: end: no .stream selected (add .stream slot=0 engine=...)");
  EXPECT_EQ(error_of(".stream slot=0 engine=compute\nvec.fill len=12z\n"),
            "test.s:2: bad integer '12z' for vec.fill field 'len'");
  EXPECT_EQ(error_of(".stream slot=0 engine=compute\nvec.fill len=1 len=2\n"),
            "test.s:2: vec.fill: field 'len' given twice");
  EXPECT_EQ(error_of(".frob 3\n"), "test.s:1: unknown directive '.frob'");
  EXPECT_EQ(error_of(".mode triple\n"), "test.s:1: .mode: expected single or fused, got 'triple'");
  EXPECT_EQ(error_of(".stream slot=2 engine=load\n"),
            "test.s:1: .stream: slot must be 0 or 1 (got 2)");
  EXPECT_EQ(error_of(".stream slot=0 engine=dsp\n"),
            "test.s:1: .stream: engine must be load, compute or store (got 'dsp')");
  EXPECT_EQ(error_of(".weights 0g\n"), "test.s:1: .weights: expected hex bytes, got '0g'");
  EXPECT_EQ(error_of(".input shape=1x2\n"), "test.s:1: .input: needs name=");
  EXPECT_EQ(error_of(".input name=a shape=1xx2\n"),
            "test.s:1: .input: bad shape '1xx2' (expected e.g. 1x8x8x16)");
  EXPECT_EQ(error_of(".output name=a colour=red\n"), "test.s:1: .output: unknown key 'colour'");
  EXPECT_EQ(error_of(".input name=\"a\n"), "test.s:1: unterminated quote");
  EXPECT_EQ(error_of(".batch 0\n"), "test.s:1: .batch: must be a positive integer (got 0)");
}

// Found by fuzz_asm (docs/fuzzing.md): a name with bytes that are not UTF-8
// assembled, and writing the .npub then failed with the JSON library's
// message, naming neither the line nor the field.
TEST(AssemblerErrors, TextThatIsNotUtf8IsRefusedWithItsLine) {
  EXPECT_EQ(error_of(".mode single\n.output name=y\xff\xff shape=4\n"),
            "test.s:2: not UTF-8 text (byte 0xff at column 15)");
  EXPECT_EQ(error_of("# overlong \xc0\x80\n"), "test.s:1: not UTF-8 text (byte 0xc0 at column 12)");
  EXPECT_EQ(error_of(".input name=\xed\xa0\x80\n"),
            "test.s:1: not UTF-8 text (byte 0xed at column 13)");  // a surrogate
  EXPECT_EQ(error_of(".input name=x\xe2\x82\n"),
            "test.s:1: not UTF-8 text (byte 0xe2 at column 14)");  // cut short
  const Program p =
      assemble(".input name=\xc3\xa9t\xc3\xa9 shape=4\n.output name=\xf0\x9f\x99\x82\n");
  EXPECT_EQ(p.inputs.at(0).name, "\xc3\xa9t\xc3\xa9");
  EXPECT_EQ(deserialize(serialize(p)).outputs.at(0).name, "\xf0\x9f\x99\x82");
}

TEST(AssemblerErrors, BadHardwareKeyIsNamed) {
  const std::string e = error_of("\n.hw sram_per_pe=lots\n");
  EXPECT_EQ(e.rfind("test.s:2: .hw: ", 0), 0u) << e;
  EXPECT_NE(e.find("sram_per_pe"), std::string::npos) << e;
  EXPECT_NE(error_of(".hw warp_drive=1\n").find("warp_drive"), std::string::npos);
}

TEST(Assembler, NumbersAcceptHexAndSign) {
  const Program p =
      assemble(".stream slot=0 engine=compute\nvec.requant src=0X10 mult=-0x80000000 shift=+3\n");
  const auto s = stream(p, 0, Engine::kCompute);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0][F::kSrc], 16);
  EXPECT_EQ(s[0][F::kMult], INT32_MIN);
  EXPECT_EQ(s[0][F::kShift], 3);
}

}  // namespace
}  // namespace npusim::isa
