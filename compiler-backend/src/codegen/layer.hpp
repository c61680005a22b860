// Internal: what the op families' code generators share: the layer interface
// npu_segment.cpp drives, tensors in device layout, DMA helpers, SRAM
// planning and the double-buffered tile pipeline over the semaphores of
// streams.hpp.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "npusim/compiler/graph.hpp"
#include "npusim/compiler/npu_op_attrs.hpp"
#include "npusim/isa/hw_params.hpp"
#include "npusim/isa/instruction.hpp"
#include "streams.hpp"

namespace npusim::compiler::codegen {

// A tensor in device layout as rows: NHWC is `images` = N images of H rows of
// W*C elements; any other rank is one image whose rows are the outer dims and
// whose row is the innermost dim (a Gemm's [M, K] is M rows of K bytes).
struct RowShape {
  int64_t images = 1, rows = 1;
  uint64_t row_bytes = 0;
  uint64_t bytes() const { return uint64_t(images * rows) * row_bytes; }
};
RowShape row_shape(const Value& v);

// Rows [begin, end) of each image.
struct RowRange {
  int64_t begin = 0, end = 0;
  int64_t size() const { return end > begin ? end - begin : 0; }
  bool contains(const RowRange& r) const {
    return r.size() == 0 || (begin <= r.begin && r.end <= end);
  }
};

// Every row: what a reader that needs a whole operand reads (clamped to it).
inline constexpr RowRange kAllRows{0, int64_t{1} << 62};

// A tensor resident in one PE's SRAM for a stretch of layers: rows [row0,
// row0 + rows) of every image, image after image (the rows a PE produces and
// the neighbours' rows its consumers read). `addr` is in the program's SRAM
// address view (fused mode: slot 1 at [S, 2S)).
struct SramTensor {
  uint64_t addr = 0;
  RowShape shape;
  int64_t row0 = 0, rows = 0;
  uint64_t image_bytes() const { return uint64_t(rows) * shape.row_bytes; }
  uint64_t bytes() const { return uint64_t(shape.images) * image_bytes(); }
  RowRange held() const { return {row0, row0 + rows}; }
  uint64_t at(int64_t image, int64_t row) const {
    return addr + uint64_t(image) * image_bytes() + uint64_t(row - row0) * shape.row_bytes;
  }
};

// What the segment planner decided for a layer, as its family sees it.
struct Residency {
  // Per slot: the layer's values held in that slot's SRAM (inputs it reads,
  // outputs it writes in place).
  std::map<std::string, SramTensor> held[2];
  // Per slot: where the layer's parameters (a QConv's weights, bias and
  // multiplier table, contiguous as in the blob) are resident, if they are.
  std::optional<uint64_t> params[2];
};

// How fused mode divides a layer between the PEs: its output rows (each PE
// reads the input rows its rows need), or its output channels (each PE
// computes its channels of every row from the whole input, loading only its
// channels' parameters; QConv, where its estimate prefers that).
enum class FusedSplit { kRows, kChannels };

// What a family's planner sees of its layer.
struct LayerEnv {
  const Graph& g;
  const Node& node;
  const std::map<std::string, DramPlace>& place;  // the segment's values that live in DRAM
  std::vector<uint8_t>& blob;                     // the segment's weights (base 0)
  const isa::HwParams& hw;
  uint64_t work_bytes = 0;  // the layer's working area: [0, work_bytes) of each PE's SRAM
  const Residency* residency = nullptr;
  int slots = 1;  // PEs that split the layer (fused mode: 2)
  FusedSplit split = FusedSplit::kRows;

  // Where value `v` lives in DRAM; a constant is appended to the weights blob
  // (in device layout) first.
  DramPlace at(const std::string& v) const;
  const Shape& shape(const std::string& v) const { return g.value(v).shape; }
  // `v` in slot's SRAM, if the planner made it resident there.
  const SramTensor* held(const std::string& v, int slot) const;
  // True if `v` is resident (on every slot that runs the layer).
  bool resident(const std::string& v) const { return held(v, 0) != nullptr; }
};

// Emits the layer's work units [begin, end) on `slot`, whose working area
// starts at `sram_base` in the program's address view.
using EmitFn =
    std::function<void(Streams& s, int slot, uint64_t sram_base, int64_t begin, int64_t end)>;

struct LayerCode {
  int64_t units = 0;    // output rows (or pixels, bytes) fused mode splits between the slots
  uint64_t sram = 0;    // working-area bytes per PE
  std::string summary;  // the tiling, for CompileResult::layers
  EmitFn emit;
  // Per slot: parameters the planner loads into their resident place (blob
  // offset and bytes; only when the planner gave them one, Residency::params).
  // The slots differ when they split the output channels.
  std::optional<std::pair<uint64_t, uint64_t>> params[2];
};

// Tensors in DRAM are NHWC for rank 4 (logical NCHW) and row-major otherwise.
std::vector<uint8_t> device_bytes(const Tensor& t);
// The device-layout dims of a logical shape: [N, H, W, C] for rank 4.
Shape device_shape(const Shape& logical);
// The logical axis of each device-layout axis, outermost first: {0, 2, 3, 1}
// for rank 4, the identity otherwise.
std::vector<int> device_order(size_t rank);

// Appends a 256-entry table (attribute values 0..255) to the weights blob; returns its offset.
uint64_t append_table(std::vector<uint8_t>& blob, const std::vector<int64_t>& table);
// True if the table maps every byte to itself (no vec.lut needed).
bool is_identity(const std::vector<int64_t>& table);

// A layer's optional output requantisation through a table (attribute
// "table"): placed in the blob only when it changes codes.
struct OutputTable {
  bool requant = false;
  uint64_t at = 0;  // blob offset, valid when requant
};
OutputTable output_table(std::vector<uint8_t>& blob, const std::vector<int64_t>& table);
// Loads the table into SRAM at `sram` (load engine), if the layer has one.
void load_output_table(Streams& s, int slot, const OutputTable& t, uint64_t sram);
// vec.lut of `len` bytes from `src` to `dst` (the same address: in place).
isa::Instruction vec_lut(uint64_t src, uint64_t dst, int64_t len, uint64_t table);

// Bump allocation of one layer's SRAM, 64-byte aligned.
class SramLayout {
 public:
  uint64_t take(uint64_t bytes) {
    const uint64_t at = at_;
    at_ = align64(at_ + bytes);
    return at;
  }
  uint64_t total() const { return at_; }

 private:
  uint64_t at_ = 0;
};

// The SRAM plan of a layer that streams tiles through a 256-byte table and
// double-buffered input and output buffers (LUTs, pooling, resizing,
// padding, permutations).
struct BufferedSram {
  uint64_t table = 0, in[2] = {0, 0}, out[2] = {0, 0}, total = 0;
};
BufferedSram buffered_sram(uint64_t in_bytes, uint64_t out_bytes, uint64_t table_bytes = 256);

// A 3-D DMA walk (dma.load / dma.store fields; strides in bytes).
struct Walk {
  uint64_t len0 = 0, cnt1 = 1, cnt2 = 1;
  uint64_t dstride1 = 0, dstride2 = 0, sstride1 = 0, sstride2 = 0;
};
// dma.load (DRAM -> SRAM) or dma.store of `len` contiguous bytes / of a walk.
isa::Instruction dma(isa::Opcode op, DramPlace at, uint64_t offset, uint64_t sram, uint64_t len);
isa::Instruction dma(isa::Opcode op, DramPlace at, uint64_t offset, uint64_t sram, const Walk& w);

// vec.copy's largest count per dimension (16-bit cnt0 / cnt1).
inline constexpr int64_t kMaxCopyCount = 65535;

// vec.copy of `rows` rows of `width` bytes from `src` (row stride
// `src_stride`) to `dst` (row stride `dst_stride`), in pieces of at most
// kMaxCopyCount bytes per row and rows per instruction.
void emit_row_copy(Streams& s, int slot, uint64_t src, int64_t src_stride, uint64_t dst,
                   int64_t dst_stride, int64_t rows, int64_t width);

// The steps of one tile, given its buffer b (0 or 1) and its units [u0, u1):
// load emits on the load engine, compute on the compute engine, store on the
// store engine. A layer whose input is resident in SRAM has no load step
// (`load` empty), one whose output is resident has no store step. `setup`
// loads what the layer needs once (a table, a broadcast operand) with the
// first tile, so the compute engine waits for it like for a tile.
struct TileSteps {
  std::function<void(int b)> setup;
  std::function<void(int b, int64_t u0, int64_t u1)> load, compute, store;
};

// Tiles units [begin, end) by `tile` and double-buffers them: tile t+1 loads
// while tile t computes and tile t-1 stores (kInFull/kInFree, kOutFull/kOutFree;
// a side without its step has no synchronisation).
void emit_tiles(Streams& s, int slot, int64_t begin, int64_t end, int64_t tile,
                const TileSteps& steps);

// The largest tile (in units, at most `max_units`) whose SRAM plan, `bytes(tile)`,
// fits in `sram`; 0 if not even one unit fits.
int64_t largest_tile(int64_t max_units, uint64_t sram,
                     const std::function<uint64_t(int64_t)>& bytes);

// A tile cap that keeps the pipeline busy: about 8 tiles per slot, none
// below `min_bytes` or above 4 MiB (DMA rows are 24-bit) of `unit_bytes` each.
int64_t pipeline_tile_cap(int64_t units, uint64_t unit_bytes, uint64_t min_bytes = 16 << 10);

// "QAdd 'x': 4 tiles of 512 rows, 12345 bytes of SRAM" for the layer summary
// (per image and PE; fused mode splits the tiles between the PEs).
std::string tiling_summary(const Node& n, int64_t units, int64_t tile, const std::string& unit,
                           uint64_t sram);

}  // namespace npusim::compiler::codegen
