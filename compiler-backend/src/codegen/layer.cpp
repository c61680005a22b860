#include "layer.hpp"

#include <algorithm>

#include "npusim/isa/program.hpp"

namespace npusim::compiler::codegen {

using isa::Engine;
using isa::Field;

DramPlace LayerEnv::at(const std::string& v) const {
  if (!g.is_constant(v)) return place.at(v);
  const std::vector<uint8_t> bytes = device_bytes(*g.value(v).constant);
  const uint64_t offset = align64(blob.size());
  blob.resize(offset);
  blob.insert(blob.end(), bytes.begin(), bytes.end());
  return {isa::kBaseWeights, offset};
}

const SramTensor* LayerEnv::held(const std::string& v, int slot) const {
  if (!residency) return nullptr;
  auto it = residency->held[slot].find(v);
  return it == residency->held[slot].end() ? nullptr : &it->second;
}

RowShape row_shape(const Value& v) {
  const uint64_t e = dtype_size(v.dtype);
  const Shape& s = v.shape;
  if (s.empty()) return {1, 1, e};
  if (s.size() == 4) return {s[0], s[2], uint64_t(s[3] * s[1]) * e};
  int64_t rows = 1;
  for (size_t d = 0; d + 1 < s.size(); ++d) rows *= s[d];
  return {1, rows, uint64_t(s.back()) * e};
}

Shape device_shape(const Shape& s) {
  if (s.size() != 4) return s;
  return {s[0], s[2], s[3], s[1]};
}

std::vector<int> device_order(size_t rank) {
  if (rank == 4) return {0, 2, 3, 1};
  std::vector<int> order(rank);
  for (size_t a = 0; a < rank; ++a) order[a] = int(a);
  return order;
}

std::vector<uint8_t> device_bytes(const Tensor& t) {
  const Shape& s = t.shape();
  if (s.size() != 4) return t.raw();
  const int64_t n = s[0], c = s[1], h = s[2], w = s[3], e = int64_t(dtype_size(t.dtype()));
  std::vector<uint8_t> out(t.bytes());
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x)
          std::copy_n(t.raw().begin() + (((b * c + ch) * h + y) * w + x) * e, e,
                      out.begin() + (((b * h + y) * w + x) * c + ch) * e);
  return out;
}

uint64_t append_table(std::vector<uint8_t>& blob, const std::vector<int64_t>& table) {
  const uint64_t offset = align64(blob.size());
  blob.resize(offset);
  for (const int64_t v : table) blob.push_back(static_cast<uint8_t>(v));
  return offset;
}

bool is_identity(const std::vector<int64_t>& table) {
  for (size_t i = 0; i < table.size(); ++i)
    if (table[i] != int64_t(i)) return false;
  return true;
}

OutputTable output_table(std::vector<uint8_t>& blob, const std::vector<int64_t>& table) {
  if (table.empty() || is_identity(table)) return {};
  return {true, append_table(blob, table)};
}

void load_output_table(Streams& s, int slot, const OutputTable& t, uint64_t sram) {
  if (t.requant)
    s.emit(slot, Engine::kLoad,
           dma(isa::Opcode::kDmaLoad, {isa::kBaseWeights, t.at}, 0, sram, 256));
}

isa::Instruction vec_lut(uint64_t src, uint64_t dst, int64_t len, uint64_t table) {
  return isa::make(isa::Opcode::kVecLut, {{Field::kSrc, int64_t(src)},
                                          {Field::kDst, int64_t(dst)},
                                          {Field::kLen, len},
                                          {Field::kTable, int64_t(table)}});
}

BufferedSram buffered_sram(uint64_t in_bytes, uint64_t out_bytes, uint64_t table_bytes) {
  SramLayout l;
  BufferedSram p;
  p.table = l.take(table_bytes);
  for (int b = 0; b < 2; ++b) {
    p.in[b] = l.take(in_bytes);
    p.out[b] = l.take(out_bytes);
  }
  p.total = l.total();
  return p;
}

isa::Instruction dma(isa::Opcode op, DramPlace at, uint64_t offset, uint64_t sram, uint64_t len) {
  return dma(op, at, offset, sram, Walk{len});
}

isa::Instruction dma(isa::Opcode op, DramPlace at, uint64_t offset, uint64_t sram, const Walk& w) {
  return isa::make(op, {{Field::kDramBase, at.base},
                        {Field::kDramOff, int64_t(at.offset + offset)},
                        {Field::kSram, int64_t(sram)},
                        {Field::kLen0, int64_t(w.len0)},
                        {Field::kCnt1, int64_t(w.cnt1)},
                        {Field::kCnt2, int64_t(w.cnt2)},
                        {Field::kDStride1, int64_t(w.dstride1)},
                        {Field::kDStride2, int64_t(w.dstride2)},
                        {Field::kSStride1, int64_t(w.sstride1)},
                        {Field::kSStride2, int64_t(w.sstride2)}});
}

void emit_row_copy(Streams& s, int slot, uint64_t src, int64_t src_stride, uint64_t dst,
                   int64_t dst_stride, int64_t rows, int64_t width) {
  for (int64_t r = 0; r < rows; r += kMaxCopyCount)
    for (int64_t at = 0; at < width; at += kMaxCopyCount) {
      const uint64_t s0 = src + uint64_t(r * src_stride + at),
                     d0 = dst + uint64_t(r * dst_stride + at);
      s.emit(slot, Engine::kCompute,
             isa::make(isa::Opcode::kVecCopy, {{Field::kSrc, int64_t(s0)},
                                               {Field::kDst, int64_t(d0)},
                                               {Field::kElem, 1},
                                               {Field::kCnt0, std::min(kMaxCopyCount, width - at)},
                                               {Field::kCnt1, std::min(kMaxCopyCount, rows - r)},
                                               {Field::kCnt2, 1},
                                               {Field::kSrcS0, 1},
                                               {Field::kSrcS1, src_stride},
                                               {Field::kDstS0, 1},
                                               {Field::kDstS1, dst_stride}}));
    }
}

void emit_tiles(Streams& s, int slot, int64_t begin, int64_t end, int64_t tile,
                const TileSteps& steps) {
  int t = 0;
  for (int64_t u0 = begin; u0 < end; u0 += tile, ++t) {
    const int64_t u1 = std::min(end, u0 + tile);
    const int b = t % 2;
    const bool setup = t == 0 && steps.setup;
    const bool loads = steps.load || setup;
    if (loads) {
      s.wait(slot, Engine::kLoad, kInFree0 + b);
      if (setup) steps.setup(b);
      if (steps.load) steps.load(b, u0, u1);
      s.signal(slot, Engine::kLoad, kInFull0 + b);
      s.wait(slot, Engine::kCompute, kInFull0 + b);
    }
    if (steps.store) s.wait(slot, Engine::kCompute, kOutFree0 + b);
    steps.compute(b, u0, u1);
    if (loads) s.signal(slot, Engine::kCompute, kInFree0 + b);
    if (steps.store) {
      s.signal(slot, Engine::kCompute, kOutFull0 + b);
      s.wait(slot, Engine::kStore, kOutFull0 + b);
      steps.store(b, u0, u1);
      s.signal(slot, Engine::kStore, kOutFree0 + b);
    }
  }
}

int64_t largest_tile(int64_t max_units, uint64_t sram,
                     const std::function<uint64_t(int64_t)>& bytes) {
  if (max_units < 1 || bytes(1) > sram) return 0;
  int64_t lo = 1, hi = max_units;  // bytes() grows with the tile: binary search
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo + 1) / 2;
    if (bytes(mid) <= sram)
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

int64_t pipeline_tile_cap(int64_t units, uint64_t unit_bytes, uint64_t min_bytes) {
  unit_bytes = std::max<uint64_t>(unit_bytes, 1);
  const int64_t floor_units = int64_t(std::max<uint64_t>(1, min_bytes / unit_bytes));
  const int64_t ceil_units = int64_t(std::max<uint64_t>(1, (uint64_t{4} << 20) / unit_bytes));
  return std::clamp<int64_t>((units + 7) / 8, std::min(floor_units, ceil_units), ceil_units);
}

std::string tiling_summary(const Node& n, int64_t units, int64_t tile, const std::string& unit,
                           uint64_t sram) {
  const int64_t tiles = tile > 0 ? (units + tile - 1) / tile : 0;
  return n.describe() + ": " + std::to_string(tiles) + (tiles == 1 ? " tile" : " tiles") + " of " +
         std::to_string(tile) + " " + unit + ", " + std::to_string(sram) + " bytes of SRAM";
}

}  // namespace npusim::compiler::codegen
