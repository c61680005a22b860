// The instruction set (v1): opcodes, their fields, and the decoded form.
// The binary encoding, text syntax and field meanings are specified in docs/isa.md.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace npusim::isa {

inline constexpr uint32_t kIsaVersion = 1;

// A strided DMA moves at most this many rows (cnt1 * cnt2), as a real engine's
// counters bound it.
inline constexpr uint64_t kMaxDmaRows = uint64_t{1} << 20;

// The three engines of a PE. Each runs its own instruction stream.
enum class Engine : uint8_t { kLoad = 0, kCompute = 1, kStore = 2 };
inline constexpr int kNumEngines = 3;
std::string_view engine_name(Engine e);

enum class Opcode : uint8_t {
  // DMA (load and store engines)
  kDmaLoad = 0x01,   // DRAM -> SRAM, strided 3-D
  kDmaStore = 0x02,  // SRAM -> DRAM, strided 3-D
  kDmaH2D = 0x03,    // host memory -> DRAM
  kDmaD2H = 0x04,    // DRAM -> host memory
  // Matrix unit (compute engine)
  kMatConv = 0x10,  // int8/uint8 x int8/uint8 -> int32 convolution tile
  kMatMul = 0x11,   // int8/uint8 x int8/uint8 -> int32 matrix-multiply tile
  // Vector unit (compute engine)
  kVecRequant = 0x20,  // int32 -> int8/uint8, per-channel multiplier and shift, clamp
  kVecAdd = 0x21,      // elementwise add of two quantised tensors, requantised
  kVecMul = 0x22,      // elementwise multiply of two quantised tensors, requantised
  kVecLut = 0x23,      // 256-entry lookup table (activations)
  kVecPool = 0x24,     // max / average pooling
  kVecCopy = 0x25,     // strided 3-D copy (transpose, pad, concat, slice)
  kVecFill = 0x26,     // fill with a byte value
  kVecResize = 0x27,   // nearest / bilinear upsampling
  kVecLutN = 0x28,     // lookup with `tables` tables: element i uses table i mod tables
  // Synchronisation and control (any engine)
  kSemWait = 0x30,
  kSemSignal = 0x31,
  kIrq = 0x3e,
  kEnd = 0x3f,
};

// Every named field of any instruction. An opcode uses a subset (see OpcodeInfo).
enum class Field : uint8_t {
  // addresses and sizes
  kDramBase,
  kDramOff,
  kHostBase,
  kHostOff,
  kSram,
  kLen0,
  kCnt1,
  kCnt2,
  kDStride1,
  kDStride2,
  kSStride1,
  kSStride2,
  kLen,
  kSrc,
  kSrc2,
  kWgt,
  kBias,
  kDst,
  kParams,
  kTable,
  // shapes
  kInH,
  kInW,
  kInC,
  kOutH,
  kOutW,
  kOutC,
  kKH,
  kKW,
  kStrideH,
  kStrideW,
  kDilH,
  kDilW,
  kPadT,
  kPadL,
  kPadB,
  kPadR,
  kGroups,
  kM,
  kK,
  kN,
  kCount,
  kChannels,
  // copy strides (bytes) and element size
  kElem,
  kSrcS0,
  kSrcS1,
  kSrcS2,
  kDstS0,
  kDstS1,
  kDstS2,
  kCnt0,
  // quantisation
  kSrcZp,
  kSrc2Zp,
  kWgtZp,
  kOutZp,
  kSrcSigned,
  kWgtSigned,
  kOutSigned,
  kMult,
  kShift,
  kMult2,
  kShift2,
  kMultOut,
  kShiftOut,
  kClampLo,
  kClampHi,
  kPerChannel,
  kBcastA,
  kBcastB,
  // flags and modes
  kAccumulate,
  kBiasEn,
  kMode,
  kCountPad,
  kCoordMode,
  kValue,
  kTables,
  // sync / control
  kSem,
  kTarget,
  kCode,
  kCount_  // number of fields (not a field)
};
inline constexpr int kNumFields = static_cast<int>(Field::kCount_);

// How a field's value is interpreted, for range checks and the assembler.
enum class FieldKind : uint8_t {
  kUnsigned,  // plain unsigned integer
  kSigned,    // two's complement
  kSramAddr,  // byte address in SRAM (PE-local, or both SRAMs in fused mode)
  kDramAddr,  // byte offset from a DRAM base register
  kHostAddr,  // byte offset from a host base register
};

struct FieldSpec {
  Field field;
  uint8_t bits;
  FieldKind kind;
};

// Which engines may execute an opcode.
enum EngineMask : uint8_t {
  kOnLoad = 1 << 0,
  kOnCompute = 1 << 1,
  kOnStore = 1 << 2,
  kOnDma = kOnLoad | kOnStore,
  kOnAny = kOnLoad | kOnCompute | kOnStore,
};

struct OpcodeInfo {
  Opcode opcode;
  std::string_view mnemonic;  // e.g. "mat.conv"
  uint8_t engines;            // EngineMask
  std::vector<FieldSpec> fields;
  int words;  // encoded size in 32-bit words, header included
};

// The table of all opcodes; lookups by value or by mnemonic.
const std::vector<OpcodeInfo>& all_opcodes();
const OpcodeInfo* find_opcode(uint8_t value);
const OpcodeInfo* find_opcode(std::string_view mnemonic);
const OpcodeInfo& info(Opcode op);
std::string_view field_name(Field f);
std::optional<Field> find_field(std::string_view name);

// A decoded instruction: the opcode and the value of each of its fields
// (fields the opcode does not use are zero).
struct Instruction {
  Opcode op = Opcode::kEnd;
  std::array<int64_t, kNumFields> values{};

  int64_t operator[](Field f) const { return values[static_cast<size_t>(f)]; }
  int64_t& operator[](Field f) { return values[static_cast<size_t>(f)]; }
  uint64_t u(Field f) const { return static_cast<uint64_t>((*this)[f]); }
  bool operator==(const Instruction&) const = default;
};

// Builds an instruction from field/value pairs (for tests and the compiler).
Instruction make(Opcode op, std::initializer_list<std::pair<Field, int64_t>> values);

// --- binary encoding (little-endian 32-bit words; see docs/isa.md) ---

// Appends the encoding of `instr` to `out`. Throws IsaError if a value
// does not fit its field.
void encode(const Instruction& instr, std::vector<uint32_t>& out);
std::vector<uint32_t> encode(std::span<const Instruction> program);

// Decodes the instruction at words[pos]; returns its size in words.
// Throws IsaError naming the instruction index and field on bad input.
int decode_one(std::span<const uint32_t> words, size_t pos, Instruction& out, size_t index = 0);
std::vector<Instruction> decode(std::span<const uint32_t> words);

class IsaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace npusim::isa
