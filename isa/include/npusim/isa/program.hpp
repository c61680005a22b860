// The program container (.npub), specified in docs/npub.md: NPU segments
// (code per PE slot and engine, weights) and CPU segments (embedded ONNX
// subgraphs) joined by named tensors, the I/O table, mode, batch size and
// the hardware parameters the program was compiled for.
#pragma once

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "npusim/isa/hw_params.hpp"
#include "npusim/isa/instruction.hpp"

namespace npusim::isa {

inline constexpr uint16_t kNpubMajor = 1;
inline constexpr uint16_t kNpubMinor = 1;  // 1.1: segment layer tables

enum class Mode { kSingle, kFused };  // single: relocatable to either PE
std::string_view mode_name(Mode m);

// DRAM base registers a program's addresses are relative to (see docs/isa.md).
enum DramBase : int { kBaseWeights = 0, kBaseScratch = 1, kBaseIo = 2, kBaseSpare = 3 };

struct TensorInfo {
  std::string name;
  std::vector<int64_t> shape;
  std::string dtype = "int8";   // int8, uint8, int32, float32
  std::string layout = "NHWC";  // as stored in memory
  float scale = 1.0f;           // quantisation (int8/uint8)
  int32_t zero_point = 0;
  uint64_t io_offset = 0;  // NPU tensors: offset from DRAM base kBaseIo
  uint64_t bytes() const;
};

// One layer (graph node) of a segment, for profilers. NPU segments: the
// index of the layer's first instruction in each (slot, engine) stream; its
// code runs up to the next layer's first instruction. CPU segments: why the
// node is not on the NPU.
struct LayerInfo {
  std::string name, op;
  std::string reason;
  std::array<std::array<uint32_t, kNumEngines>, 2> first{};
};

struct NpuSegment {
  std::string name;
  // streams[slot][engine]: encoded code; slot 1 is used in fused mode only.
  std::array<std::array<std::vector<uint32_t>, kNumEngines>, 2> streams;
  std::vector<uint8_t> weights;              // loaded at DRAM base kBaseWeights
  uint64_t scratch_bytes = 0;                // DRAM at base kBaseScratch
  uint64_t io_bytes = 0;                     // DRAM at base kBaseIo (inputs and outputs)
  std::vector<std::string> inputs, outputs;  // tensor names
  std::vector<LayerInfo> layers;             // in code order (optional)
};

struct CpuSegment {
  std::string name;
  std::vector<uint8_t> onnx;  // serialized ONNX ModelProto
  std::vector<std::string> inputs, outputs;
  std::vector<LayerInfo> layers;  // the subgraph's nodes and reasons (optional)
};

using Segment = std::variant<NpuSegment, CpuSegment>;

struct Program {
  Mode mode = Mode::kSingle;
  int batch = 1;
  HwParams hw;
  std::vector<TensorInfo> inputs, outputs;  // the program's I/O table
  std::vector<TensorInfo> tensors;          // every named tensor between segments
  std::vector<Segment> segments;            // in execution order
};

class ProgramError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bytes each layer of the segment's layer table moves through DRAM per run:
// the dma.load / dma.store instructions of its sections of every stream (a
// layer's section runs from its `first` index to the next layer's).
std::vector<uint64_t> layer_dma_bytes(const NpuSegment& segment);

// Serialization. load_* throw ProgramError naming the file and the reason
// (bad magic, unsupported version, truncated, checksum mismatch).
std::vector<uint8_t> serialize(const Program& p);
Program deserialize(const std::vector<uint8_t>& bytes, const std::string& origin = "<memory>");
void save_program(const Program& p, const std::string& path);
Program load_program(const std::string& path);

// Refuses a program compiled for hardware its code does not fit: throws
// ProgramError naming the first differing program-relevant parameter
// (program_relevant_keys()) with both values. Other parameters may differ.
void check_hardware(const Program& p, const HwParams& device);

}  // namespace npusim::isa
