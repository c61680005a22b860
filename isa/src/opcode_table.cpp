// The opcode table: the single definition of every instruction's fields,
// widths and kinds. Encoding, text syntax and verification derive from it.
#include <algorithm>

#include "npusim/isa/instruction.hpp"

namespace npusim::isa {
namespace {

using F = Field;
using K = FieldKind;

constexpr K U = K::kUnsigned;
constexpr K S = K::kSigned;
constexpr K SRAM = K::kSramAddr;
constexpr K DRAM = K::kDramAddr;
constexpr K HOST = K::kHostAddr;

int words_for(const std::vector<FieldSpec>& fields) {
  int bits = 0;
  for (const auto& f : fields) bits += f.bits;
  return 1 + (bits + 31) / 32;
}

OpcodeInfo op(Opcode code, std::string_view mnemonic, uint8_t engines,
              std::vector<FieldSpec> fields) {
  int words = words_for(fields);
  return OpcodeInfo{code, mnemonic, engines, std::move(fields), words};
}

std::vector<FieldSpec> strided_dma_fields() {
  return {{F::kDramBase, 2, U},  {F::kDramOff, 40, DRAM}, {F::kSram, 32, SRAM},
          {F::kLen0, 24, U},     {F::kCnt1, 16, U},       {F::kCnt2, 16, U},
          {F::kDStride1, 32, U}, {F::kDStride2, 40, U},   {F::kSStride1, 24, U},
          {F::kSStride2, 32, U}};
}

std::vector<FieldSpec> host_dma_fields() {
  return {{F::kHostBase, 2, U},
          {F::kHostOff, 48, HOST},
          {F::kDramBase, 2, U},
          {F::kDramOff, 40, DRAM},
          {F::kLen, 32, U}};
}

std::vector<FieldSpec> matrix_quant_fields() {
  return {{F::kSrcZp, 16, S},    {F::kWgtZp, 16, S},     {F::kSrcSigned, 1, U},
          {F::kWgtSigned, 1, U}, {F::kAccumulate, 1, U}, {F::kBiasEn, 1, U}};
}

std::vector<FieldSpec> concat(std::vector<FieldSpec> a, const std::vector<FieldSpec>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::vector<FieldSpec> elementwise_fields(bool add) {
  std::vector<FieldSpec> f = {{F::kSrc, 32, SRAM}, {F::kSrc2, 32, SRAM},  {F::kDst, 32, SRAM},
                              {F::kCount, 24, U},  {F::kChannels, 16, U}, {F::kBcastA, 2, U},
                              {F::kBcastB, 2, U},  {F::kSrcZp, 16, S},    {F::kSrc2Zp, 16, S},
                              {F::kOutZp, 16, S},  {F::kSrcSigned, 1, U}, {F::kOutSigned, 1, U}};
  if (add) {
    f.push_back({F::kMult, 32, S});
    f.push_back({F::kShift, 8, S});
    f.push_back({F::kMult2, 32, S});
    f.push_back({F::kShift2, 8, S});
  }
  f.push_back({F::kMultOut, 32, S});
  f.push_back({F::kShiftOut, 8, S});
  f.push_back({F::kClampLo, 16, S});
  f.push_back({F::kClampHi, 16, S});
  return f;
}

std::vector<OpcodeInfo> build_table() {
  std::vector<OpcodeInfo> t;
  t.push_back(op(Opcode::kDmaLoad, "dma.load", kOnDma, strided_dma_fields()));
  t.push_back(op(Opcode::kDmaStore, "dma.store", kOnDma, strided_dma_fields()));
  t.push_back(op(Opcode::kDmaH2D, "dma.h2d", kOnDma, host_dma_fields()));
  t.push_back(op(Opcode::kDmaD2H, "dma.d2h", kOnDma, host_dma_fields()));

  t.push_back(op(Opcode::kMatConv, "mat.conv", kOnCompute,
                 concat({{F::kSrc, 32, SRAM},
                         {F::kWgt, 32, SRAM},
                         {F::kBias, 32, SRAM},
                         {F::kDst, 32, SRAM},
                         {F::kInH, 16, U},
                         {F::kInW, 16, U},
                         {F::kInC, 16, U},
                         {F::kOutC, 16, U},
                         {F::kKH, 8, U},
                         {F::kKW, 8, U},
                         {F::kStrideH, 8, U},
                         {F::kStrideW, 8, U},
                         {F::kDilH, 8, U},
                         {F::kDilW, 8, U},
                         {F::kPadT, 8, U},
                         {F::kPadL, 8, U},
                         {F::kPadB, 8, U},
                         {F::kPadR, 8, U},
                         {F::kGroups, 16, U}},
                        matrix_quant_fields())));
  t.push_back(op(Opcode::kMatMul, "mat.mm", kOnCompute,
                 concat({{F::kSrc, 32, SRAM},
                         {F::kWgt, 32, SRAM},
                         {F::kBias, 32, SRAM},
                         {F::kDst, 32, SRAM},
                         {F::kM, 16, U},
                         {F::kK, 16, U},
                         {F::kN, 16, U}},
                        matrix_quant_fields())));

  t.push_back(op(Opcode::kVecRequant, "vec.requant", kOnCompute,
                 {{F::kSrc, 32, SRAM},
                  {F::kDst, 32, SRAM},
                  {F::kCount, 24, U},
                  {F::kChannels, 16, U},
                  {F::kPerChannel, 1, U},
                  {F::kParams, 32, SRAM},
                  {F::kMult, 32, S},
                  {F::kShift, 8, S},
                  {F::kOutZp, 16, S},
                  {F::kOutSigned, 1, U},
                  {F::kClampLo, 16, S},
                  {F::kClampHi, 16, S}}));
  t.push_back(op(Opcode::kVecAdd, "vec.add", kOnCompute, elementwise_fields(true)));
  t.push_back(op(Opcode::kVecMul, "vec.mul", kOnCompute, elementwise_fields(false)));
  t.push_back(
      op(Opcode::kVecLut, "vec.lut", kOnCompute,
         {{F::kSrc, 32, SRAM}, {F::kDst, 32, SRAM}, {F::kLen, 32, U}, {F::kTable, 32, SRAM}}));
  // Per-position tables (a PRelu whose slope varies along the channels): the
  // tables are consecutive 256-byte blocks from `table`.
  t.push_back(op(Opcode::kVecLutN, "vec.lutn", kOnCompute,
                 {{F::kSrc, 32, SRAM},
                  {F::kDst, 32, SRAM},
                  {F::kLen, 32, U},
                  {F::kTable, 32, SRAM},
                  {F::kTables, 16, U}}));
  t.push_back(
      op(Opcode::kVecPool, "vec.pool", kOnCompute,
         {{F::kSrc, 32, SRAM}, {F::kDst, 32, SRAM},   {F::kInH, 16, U},     {F::kInW, 16, U},
          {F::kInC, 16, U},    {F::kKH, 8, U},        {F::kKW, 8, U},       {F::kStrideH, 8, U},
          {F::kStrideW, 8, U}, {F::kPadT, 8, U},      {F::kPadL, 8, U},     {F::kPadB, 8, U},
          {F::kPadR, 8, U},    {F::kMode, 2, U},      {F::kCountPad, 1, U}, {F::kSrcZp, 16, S},
          {F::kOutZp, 16, S},  {F::kSrcSigned, 1, U}, {F::kMult, 32, S},    {F::kShift, 8, S}}));
  t.push_back(op(Opcode::kVecCopy, "vec.copy", kOnCompute,
                 {{F::kSrc, 32, SRAM},
                  {F::kDst, 32, SRAM},
                  {F::kElem, 4, U},
                  {F::kCnt0, 16, U},
                  {F::kCnt1, 16, U},
                  {F::kCnt2, 16, U},
                  {F::kSrcS0, 32, U},
                  {F::kSrcS1, 32, U},
                  {F::kSrcS2, 32, U},
                  {F::kDstS0, 32, U},
                  {F::kDstS1, 32, U},
                  {F::kDstS2, 32, U}}));
  t.push_back(op(Opcode::kVecFill, "vec.fill", kOnCompute,
                 {{F::kDst, 32, SRAM}, {F::kLen, 32, U}, {F::kValue, 8, U}}));
  t.push_back(op(Opcode::kVecResize, "vec.resize", kOnCompute,
                 {{F::kSrc, 32, SRAM},
                  {F::kDst, 32, SRAM},
                  {F::kInH, 16, U},
                  {F::kInW, 16, U},
                  {F::kInC, 16, U},
                  {F::kOutH, 16, U},
                  {F::kOutW, 16, U},
                  {F::kMode, 3, U},
                  {F::kCoordMode, 2, U},
                  {F::kSrcSigned, 1, U}}));

  t.push_back(op(Opcode::kSemWait, "sem.wait", kOnAny, {{F::kSem, 8, U}}));
  t.push_back(op(Opcode::kSemSignal, "sem.signal", kOnAny, {{F::kSem, 8, U}, {F::kTarget, 1, U}}));
  t.push_back(op(Opcode::kIrq, "irq", kOnAny, {{F::kCode, 16, U}}));
  t.push_back(op(Opcode::kEnd, "end", kOnAny, {}));
  return t;
}

constexpr std::string_view kFieldNames[] = {
    "dram_base",  "dram_off",  "host_base",   "host_off", "sram",     "len0",       "cnt1",
    "cnt2",       "dstride1",  "dstride2",    "sstride1", "sstride2", "len",        "src",
    "src2",       "wgt",       "bias",        "dst",      "params",   "table",      "in_h",
    "in_w",       "in_c",      "out_h",       "out_w",    "out_c",    "k_h",        "k_w",
    "stride_h",   "stride_w",  "dil_h",       "dil_w",    "pad_t",    "pad_l",      "pad_b",
    "pad_r",      "groups",    "m",           "k",        "n",        "count",      "channels",
    "elem",       "src_s0",    "src_s1",      "src_s2",   "dst_s0",   "dst_s1",     "dst_s2",
    "cnt0",       "src_zp",    "src2_zp",     "wgt_zp",   "out_zp",   "src_signed", "wgt_signed",
    "out_signed", "mult",      "shift",       "mult2",    "shift2",   "mult_out",   "shift_out",
    "clamp_lo",   "clamp_hi",  "per_channel", "bcast_a",  "bcast_b",  "accumulate", "bias_en",
    "mode",       "count_pad", "coord_mode",  "value",    "tables",   "sem",        "target",
    "code"};
static_assert(std::size(kFieldNames) == kNumFields, "every Field needs a name");

}  // namespace

const std::vector<OpcodeInfo>& all_opcodes() {
  static const std::vector<OpcodeInfo> table = build_table();
  return table;
}

const OpcodeInfo* find_opcode(uint8_t value) {
  for (const auto& i : all_opcodes())
    if (static_cast<uint8_t>(i.opcode) == value) return &i;
  return nullptr;
}

const OpcodeInfo* find_opcode(std::string_view mnemonic) {
  for (const auto& i : all_opcodes())
    if (i.mnemonic == mnemonic) return &i;
  return nullptr;
}

const OpcodeInfo& info(Opcode op) {
  const OpcodeInfo* i = find_opcode(static_cast<uint8_t>(op));
  if (!i) throw IsaError("unknown opcode " + std::to_string(static_cast<int>(op)));
  return *i;
}

std::string_view field_name(Field f) {
  return kFieldNames[static_cast<size_t>(f)];
}

std::optional<Field> find_field(std::string_view name) {
  for (int i = 0; i < kNumFields; ++i)
    if (kFieldNames[i] == name) return static_cast<Field>(i);
  return std::nullopt;
}

std::string_view engine_name(Engine e) {
  switch (e) {
    case Engine::kLoad:
      return "load";
    case Engine::kCompute:
      return "compute";
    case Engine::kStore:
      return "store";
  }
  return "?";
}

Instruction make(Opcode op, std::initializer_list<std::pair<Field, int64_t>> values) {
  Instruction in;
  in.op = op;
  for (const auto& [f, v] : values) in[f] = v;
  return in;
}

}  // namespace npusim::isa
