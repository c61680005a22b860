// Emission of a QConv schedule (conv_codegen.hpp): the loop nest over pixel
// groups, output-channel blocks and input-channel blocks, with the tile
// loads, weight-block loads and stores double buffered against the compute
// engine (semaphores of streams.hpp).
#include <algorithm>
#include <cstring>

#include "../npu_ops/conv.hpp"
#include "conv_codegen.hpp"
#include "npusim/isa/program.hpp"

namespace npusim::compiler::codegen {

using isa::Engine;
using isa::Field;
using isa::Opcode;

ConvGeometry conv_geometry(const Graph& graph, const Node& q) {
  // A 2-D [M, K] input (a lowered Gemm) is an M x 1 image of K channels.
  auto image = [](Shape s) { return s.size() == 2 ? Shape{1, s[1], s[0], 1} : s; };
  const Shape in = image(graph.value(q.inputs[0]).shape);
  const Shape out = image(graph.value(q.outputs[0]).shape);
  const Shape& wshape = graph.value(q.inputs[1]).shape;
  const auto a = read_attrs<QConvAttrs>(q);
  const Ints &s = a.strides, &d = a.dilations, &p = a.pads;
  ConvGeometry g{};
  g.n = in[0];
  g.c = in[1];
  g.h = in[2];
  g.w = in[3];
  g.oc = out[1];
  g.oh = out[2];
  g.ow = out[3];
  g.kh = wshape[2];
  g.kw = wshape[3];
  g.sh = s[0];
  g.sw = s[1];
  g.dh = d[0];
  g.dw = d[1];
  g.pt = p[0];
  g.pl = p[1];
  g.pb = p[2];
  g.pr = p[3];
  g.group = a.group;
  g.out_elem = a.int32_out ? 4 : 1;
  return g;
}

Span conv_input_rows(const ConvGeometry& g, int64_t r0, int64_t r1) {
  return {r0 * g.sh - g.pt, (r1 - 1) * g.sh - g.pt + (g.kh - 1) * g.dh};
}

Span conv_input_cols(const ConvGeometry& g, int64_t c0, int64_t c1) {
  return {c0 * g.sw - g.pl, (c1 - 1) * g.sw - g.pl + (g.kw - 1) * g.dw};
}

namespace {

// Rows (or columns) of the input a group of `n` output rows reads, at most the tensor's.
int64_t span_of(int64_t n, int64_t stride, int64_t k, int64_t dil, int64_t extent) {
  return std::min(extent, (n - 1) * stride + (k - 1) * dil + 1);
}

bool full_width(const ConvGeometry& g, const ConvSchedule& s) {
  return s.cols == g.ow;
}

// The input tile is read in place from the resident input (no staging).
bool input_direct(const ConvGeometry& g, const ConvSchedule& s) {
  return s.in_sram && s.ib == g.c && full_width(g, s);
}

// The requantised tile is written in place into the resident output.
bool output_direct(const ConvGeometry& g, const ConvSchedule& s) {
  return s.out_sram && g.out_elem == 1 && s.ob == g.oc && full_width(g, s);
}

}  // namespace

uint64_t conv_params_bytes(const ConvGeometry& g) {
  return align64(uint64_t(g.oc * g.k())) + align64(4 * uint64_t(g.oc)) + 8 * uint64_t(g.oc);
}

ConvSram conv_sram(const ConvGeometry& g, const ConvSchedule& s) {
  ConvSram p;
  SramLayout l;
  const uint64_t k_all = uint64_t(g.k());
  if (s.weights == WeightsAt::kWorkAll) {
    p.params_bytes = conv_params_bytes(g);
    p.params = l.take(p.params_bytes);
  } else if (s.weights != WeightsAt::kResident) {
    const uint64_t per_oc = s.weights == WeightsAt::kWorkPiece
                                ? uint64_t(g.kh * g.kw * std::min(s.ib, g.c / g.group))
                                : k_all;
    p.wblock[0] = l.take(uint64_t(s.ob) * per_oc);
    p.wblock[1] = l.take(uint64_t(s.ob) * per_oc);
    p.bias_table = l.take(align64(4 * uint64_t(g.oc)) + 8 * uint64_t(g.oc));
  }
  const uint64_t pixels = uint64_t(s.rows * s.cols);
  if (!input_direct(g, s)) {
    const uint64_t tile = uint64_t(span_of(s.rows, g.sh, g.kh, g.dh, g.h) *
                                   span_of(s.cols, g.sw, g.kw, g.dw, g.w) * s.ib);
    p.in[0] = l.take(tile);
    p.in[1] = l.take(tile);
  }
  p.acc = l.take(g.out_elem == 1 ? pixels * uint64_t(s.ob) * 4 : 0);
  if (!output_direct(g, s)) {
    p.out[0] = l.take(pixels * uint64_t(s.ob * g.out_elem));
    p.out[1] = l.take(pixels * uint64_t(s.ob * g.out_elem));
  }
  p.total = l.total();
  return p;
}

ConvParams append_conv_params(const Graph& graph, const Node& q, int64_t ib,
                              std::vector<uint8_t>& blob, ChannelRange channels) {
  const Tensor& w = *graph.value(q.inputs[1]).constant;
  const int64_t cg = w.shape()[1], kh = w.shape()[2], kw = w.shape()[3];
  const int64_t o0 = channels.begin, oc = (channels.end ? channels.end : w.shape()[0]) - o0;
  ConvParams p;
  p.offset = align64(blob.size());
  blob.resize(p.offset);
  // weights: OIHW -> [ib block][oc][kh][kw][channels of the block], the matrix unit's layout
  const auto src = std::span<const uint8_t>(w.raw());
  for (int64_t c0 = 0; c0 < cg; c0 += ib)
    for (int64_t o = 0; o < oc; ++o)
      for (int64_t y = 0; y < kh; ++y)
        for (int64_t x = 0; x < kw; ++x)
          for (int64_t c = c0; c < std::min(cg, c0 + ib); ++c)
            blob.push_back(src[(((o0 + o) * cg + c) * kh + y) * kw + x]);
  p.weights_bytes = blob.size() - p.offset;
  blob.resize(align64(blob.size()));
  p.bias = blob.size() - p.offset;
  std::vector<int32_t> bias(oc, 0);
  if (q.inputs.size() > 2 && !q.inputs[2].empty()) {
    const auto all = graph.value(q.inputs[2]).constant->as<int32_t>();
    for (int64_t o = 0; o < oc && o0 + o < int64_t(all.size()); ++o) bias[o] = all[o0 + o];
  }
  const auto* bb = reinterpret_cast<const uint8_t*>(bias.data());
  blob.insert(blob.end(), bb, bb + 4 * oc);
  blob.resize(align64(blob.size()));
  p.table = blob.size() - p.offset;
  const auto a = read_attrs<QConvAttrs>(q);
  const Ints &mult = a.mult, &shift = a.shift;
  for (int64_t o = 0; o < oc; ++o) {
    const int32_t pair[2] = {static_cast<int32_t>(mult.empty() ? 0 : mult[o0 + o]),
                             static_cast<int32_t>(shift.empty() ? 0 : shift[o0 + o])};
    const auto* pb = reinterpret_cast<const uint8_t*>(pair);
    blob.insert(blob.end(), pb, pb + 8);
  }
  p.bytes = blob.size() - p.offset;
  return p;
}

namespace {

struct Block {
  int64_t begin = 0, size = 0;
};

std::vector<Block> blocks(int64_t total, int64_t size) {
  std::vector<Block> out;
  for (int64_t b = 0; b < total; b += size) out.push_back({b, std::min(size, total - b)});
  return out;
}

// A 3-D box of bytes: `len` contiguous bytes, `cols` of them `*_pitch1`
// apart, `rows` of those `*_pitch2` apart, on each side.
struct Box {
  uint64_t len = 0, cols = 1, rows = 1;
  uint64_t dram_pitch1 = 0, dram_pitch2 = 0, sram_pitch1 = 0, sram_pitch2 = 0;
};

// DMA of a box, split into descriptors within the ISA's field limits.
void emit_box_dma(Streams& s, int slot, Engine e, Opcode op, DramPlace at, uint64_t offset,
                  uint64_t sram, Box b) {
  if (b.len == b.dram_pitch1 && b.len == b.sram_pitch1) {  // contiguous columns: longer rows
    b.len *= b.cols;
    b.dram_pitch1 = b.dram_pitch2;
    b.sram_pitch1 = b.sram_pitch2;
    b.cols = b.rows;
    b.rows = 1;
  }
  if (b.cols == 1 && b.rows > 1) {
    b.cols = b.rows;
    b.dram_pitch1 = b.dram_pitch2;
    b.sram_pitch1 = b.sram_pitch2;
    b.rows = 1;
  }
  const uint64_t max_len = (uint64_t{1} << 24) - 1, max_cnt = 65535;
  if (b.len > max_len) {  // one DMA per row piece
    for (uint64_t r = 0; r < b.rows; ++r)
      for (uint64_t c = 0; c < b.cols; ++c)
        for (uint64_t o = 0; o < b.len; o += max_len) {
          const uint64_t n = std::min(max_len, b.len - o);
          s.emit(slot, e,
                 dma(op, at, offset + r * b.dram_pitch2 + c * b.dram_pitch1 + o,
                     sram + r * b.sram_pitch2 + c * b.sram_pitch1 + o, n));
        }
    return;
  }
  const uint64_t cols_per = std::min(b.cols, max_cnt);
  const uint64_t rows_per =
      std::max<uint64_t>(1, std::min(max_cnt, isa::kMaxDmaRows / std::max<uint64_t>(cols_per, 1)));
  for (uint64_t r = 0; r < b.rows; r += rows_per)
    for (uint64_t c = 0; c < b.cols; c += cols_per) {
      Walk w;
      w.len0 = b.len;
      w.cnt1 = std::min(cols_per, b.cols - c);
      w.dstride1 = b.dram_pitch1;
      w.sstride1 = b.sram_pitch1;
      w.cnt2 = std::min(rows_per, b.rows - r);
      w.dstride2 = b.dram_pitch2;
      w.sstride2 = b.sram_pitch2;
      s.emit(slot, e,
             dma(op, at, offset + r * b.dram_pitch2 + c * b.dram_pitch1,
                 sram + r * b.sram_pitch2 + c * b.sram_pitch1, w));
    }
}

// vec.copy of a box inside SRAM (`src_*` and `dst_*` pitches), in pieces of
// at most 65,535 per count.
void emit_box_copy(Streams& s, int slot, uint64_t src, uint64_t src_pitch1, uint64_t src_pitch2,
                   uint64_t dst, uint64_t dst_pitch1, uint64_t dst_pitch2, int64_t len,
                   int64_t cols, int64_t rows) {
  for (int64_t r = 0; r < rows; r += kMaxCopyCount)
    for (int64_t c = 0; c < cols; c += kMaxCopyCount)
      for (int64_t o = 0; o < len; o += kMaxCopyCount)
        s.emit(slot, Engine::kCompute,
               isa::make(Opcode::kVecCopy,
                         {{Field::kSrc, int64_t(src + r * src_pitch2 + c * src_pitch1 + o)},
                          {Field::kDst, int64_t(dst + r * dst_pitch2 + c * dst_pitch1 + o)},
                          {Field::kElem, 1},
                          {Field::kCnt0, std::min(kMaxCopyCount, len - o)},
                          {Field::kCnt1, std::min(kMaxCopyCount, cols - c)},
                          {Field::kCnt2, std::min(kMaxCopyCount, rows - r)},
                          {Field::kSrcS0, 1},
                          {Field::kSrcS1, int64_t(src_pitch1)},
                          {Field::kSrcS2, int64_t(src_pitch2)},
                          {Field::kDstS0, 1},
                          {Field::kDstS1, int64_t(dst_pitch1)},
                          {Field::kDstS2, int64_t(dst_pitch2)}}));
}

// A pixel group: output rows [r0, r1) x columns [c0, c1) of image `img`,
// and the input rows / columns it reads (clamped to the tensor).
struct Group {
  int64_t img, r0, r1, c0, c1;
  Span rows, cols;
  int64_t first, last, cfirst, clast;
  int64_t pixels() const { return (r1 - r0) * (c1 - c0); }
};

class ConvEmitter {
 public:
  ConvEmitter(Streams& s, const Node& q, const ConvGeometry& g, const ConvSchedule& sch,
              const ConvSram& p, const ConvParams& prm, const ConvOperands& ops, int slot,
              uint64_t base)
      : s_(s),
        q_(read_attrs<QConvAttrs>(q)),
        g_(g),
        sch_(sch),
        p_(p),
        prm_(prm),
        ops_(ops),
        slot_(slot),
        base_(base) {
    oblocks_ = blocks(g.oc, sch.ob);
    iblocks_ = blocks(g.c, sch.ib);
  }

  void run(int64_t row_begin, int64_t row_end) {
    std::vector<Group> groups;
    for (int64_t img = 0; img < g_.n; ++img)
      for (int64_t r0 = row_begin; r0 < row_end; r0 += sch_.rows)
        for (int64_t c0 = 0; c0 < g_.ow; c0 += sch_.cols)
          groups.push_back(group(img, r0, std::min(row_end, r0 + sch_.rows), c0,
                                 std::min(g_.ow, c0 + sch_.cols)));
    if (groups.empty()) return;
    load_all_params();
    if (sch_.order == LoopOrder::kPixelsOuter) {
      for (const Group& gr : groups) pixels_outer(gr);
    } else {
      for (size_t o = 0; o < oblocks_.size(); ++o) {
        const int wb = weights_block(o);
        for (const Group& gr : groups) {
          const int ob = acquire_output();
          for (size_t i = 0; i < iblocks_.size(); ++i) {
            const Tile t = input_tile(gr, iblocks_[i]);
            mat_conv(gr, o, i, t, ob, wb);
            release(t);
          }
          output(gr, o, ob);
        }
        release_weights(wb);
      }
    }
    if (sch_.weights == WeightsAt::kWorkAll) s_.signal(slot_, Engine::kCompute, kWgtFree0);
  }

 private:
  struct Tile {
    uint64_t addr = 0;
    int buf = -1;  // staged by the load engine: released with kInFree
  };

  Streams& s_;
  const QConvAttrs q_;
  const ConvGeometry& g_;
  const ConvSchedule& sch_;
  const ConvSram& p_;
  const ConvParams& prm_;
  const ConvOperands& ops_;
  int slot_;
  uint64_t base_;
  std::vector<Block> oblocks_, iblocks_;
  int next_in_ = 0, next_w_ = 0, next_out_ = 0;

  Group group(int64_t img, int64_t r0, int64_t r1, int64_t c0, int64_t c1) const {
    Group gr{img, r0, r1, c0, c1, conv_input_rows(g_, r0, r1), conv_input_cols(g_, c0, c1),
             0,   0,  0,  0};
    gr.first = std::max<int64_t>(0, gr.rows.first);
    gr.last = std::min(g_.h - 1, gr.rows.last);
    const bool full = full_width(g_, sch_);
    gr.cfirst = full ? 0 : std::max<int64_t>(0, gr.cols.first);
    gr.clast = full ? g_.w - 1 : std::min(g_.w - 1, gr.cols.last);
    return gr;
  }

  void pixels_outer(const Group& gr) {
    // With every input channel in one block, the tile serves every output block.
    const bool shared = iblocks_.size() == 1;
    const Tile shared_tile = shared ? input_tile(gr, iblocks_[0]) : Tile{};
    for (size_t o = 0; o < oblocks_.size(); ++o) {
      const int wb = weights_block(o);
      const int ob = acquire_output();
      for (size_t i = 0; i < iblocks_.size(); ++i) {
        const int wp = weights_piece(o, i);
        const Tile t = shared ? shared_tile : input_tile(gr, iblocks_[i]);
        mat_conv(gr, o, i, t, ob, wp >= 0 ? wp : wb);
        if (!shared) release(t);
        release_weights(wp);
      }
      release_weights(wb);
      output(gr, o, ob);
    }
    if (shared) release(shared_tile);
  }

  // The layer's parameters, when they all go into the working area.
  void load_all_params() {
    if (sch_.weights == WeightsAt::kWorkAll) {
      s_.wait(slot_, Engine::kLoad, kWgtFree0);
      s_.emit(slot_, Engine::kLoad,
              dma(Opcode::kDmaLoad, {isa::kBaseWeights, prm_.offset}, 0, base_ + p_.params,
                  prm_.bytes));
      s_.signal(slot_, Engine::kLoad, kWgtFull0);
      s_.wait(slot_, Engine::kCompute, kWgtFull0);
    } else if (sch_.weights != WeightsAt::kResident) {
      // Bias and multipliers stay for the layer; the first block's signal covers them.
      s_.emit(slot_, Engine::kLoad,
              dma(Opcode::kDmaLoad, {isa::kBaseWeights, prm_.offset + prm_.bias}, 0,
                  base_ + p_.bias_table, prm_.bytes - prm_.bias));
    }
  }

  // Loads output block o's weights (kWorkBlock) and returns the buffer, or -1.
  int weights_block(size_t o) {
    if (sch_.weights != WeightsAt::kWorkBlock) return -1;
    const int b = next_w_;
    next_w_ ^= 1;
    s_.wait(slot_, Engine::kLoad, kWgtFree0 + b);
    const Block ob = oblocks_[o];
    uint64_t at = 0, blob_at = 0;
    for (const Block& ib : iblocks_) {
      const uint64_t per_oc = uint64_t(g_.kh * g_.kw * ib.size);
      s_.emit(
          slot_, Engine::kLoad,
          dma(Opcode::kDmaLoad, {isa::kBaseWeights, prm_.offset + blob_at},
              uint64_t(ob.begin) * per_oc, base_ + p_.wblock[b] + at, uint64_t(ob.size) * per_oc));
      at += uint64_t(ob.size) * per_oc;
      blob_at += uint64_t(g_.oc) * per_oc;
    }
    s_.signal(slot_, Engine::kLoad, kWgtFull0 + b);
    s_.wait(slot_, Engine::kCompute, kWgtFull0 + b);
    return b;
  }

  // Loads the weights of output block o over input block i (kWorkPiece: one
  // contiguous run of the blob) and returns the buffer, or -1.
  int weights_piece(size_t o, size_t i) {
    if (sch_.weights != WeightsAt::kWorkPiece) return -1;
    const int b = next_w_;
    next_w_ ^= 1;
    s_.wait(slot_, Engine::kLoad, kWgtFree0 + b);
    const uint64_t hw = uint64_t(g_.kh * g_.kw);
    uint64_t blob_at = 0;  // [ib block][oc][kh][kw][channels of the block]
    for (size_t k = 0; k < i; ++k) blob_at += uint64_t(g_.oc) * hw * uint64_t(iblocks_[k].size);
    const uint64_t per_oc = hw * uint64_t(iblocks_[i].size);
    s_.emit(slot_, Engine::kLoad,
            dma(Opcode::kDmaLoad, {isa::kBaseWeights, prm_.offset + blob_at},
                uint64_t(oblocks_[o].begin) * per_oc, base_ + p_.wblock[b],
                uint64_t(oblocks_[o].size) * per_oc));
    s_.signal(slot_, Engine::kLoad, kWgtFull0 + b);
    s_.wait(slot_, Engine::kCompute, kWgtFull0 + b);
    return b;
  }

  void release_weights(int b) {
    if (b >= 0) s_.signal(slot_, Engine::kCompute, kWgtFree0 + b);
  }

  // Where the weights of (output block o, input block i) are.
  uint64_t weights_at(size_t o, size_t i, int wb) const {
    uint64_t before = 0;  // channels of the input blocks before i
    for (size_t k = 0; k < i; ++k) before += uint64_t(iblocks_[k].size);
    const uint64_t hw = uint64_t(g_.kh * g_.kw);
    const Block ob = oblocks_[o];
    if (sch_.weights == WeightsAt::kWorkBlock)  // [ib block][ob][kh][kw][channels]
      return base_ + p_.wblock[wb] + uint64_t(ob.size) * hw * before;
    if (sch_.weights == WeightsAt::kWorkPiece) return base_ + p_.wblock[wb];
    const uint64_t params = params_at();
    return params + uint64_t(g_.oc) * hw * before +
           uint64_t(ob.begin) * hw * uint64_t(iblocks_[i].size);
  }

  uint64_t params_at() const {
    return sch_.weights == WeightsAt::kResident ? ops_.params_sram : base_ + p_.params;
  }
  uint64_t bias_at(size_t o) const {
    const uint64_t o0 = uint64_t(oblocks_[o].begin);
    if (sch_.weights == WeightsAt::kWorkBlock || sch_.weights == WeightsAt::kWorkPiece)
      return base_ + p_.bias_table + 4 * o0;
    return params_at() + prm_.bias + 4 * o0;
  }
  uint64_t table_at(size_t o) const {
    const uint64_t o0 = uint64_t(oblocks_[o].begin);
    if (sch_.weights == WeightsAt::kWorkBlock || sch_.weights == WeightsAt::kWorkPiece)
      return base_ + p_.bias_table + (prm_.table - prm_.bias) + 8 * o0;
    return params_at() + prm_.table + 8 * o0;
  }

  // The input of a group for input block ib: in place in the resident input,
  // copied from it into staging, or loaded from DRAM into staging.
  Tile input_tile(const Group& gr, Block ib) {
    const uint64_t row = uint64_t(g_.w * g_.c);
    if (input_direct(g_, sch_)) return {ops_.x_sram->at(gr.img, gr.first)};
    const int b = next_in_;
    next_in_ ^= 1;
    const uint64_t dst = base_ + p_.in[b];
    const int64_t cols = gr.clast - gr.cfirst + 1, rows = gr.last - gr.first + 1;
    const uint64_t pixel_off = uint64_t(gr.cfirst * g_.c + ib.begin);
    if (ops_.x_sram) {
      emit_box_copy(s_, slot_, ops_.x_sram->at(gr.img, gr.first) + pixel_off, uint64_t(g_.c), row,
                    dst, uint64_t(ib.size), uint64_t(cols * ib.size), ib.size, cols, rows);
      return {dst};
    }
    s_.wait(slot_, Engine::kLoad, kInFree0 + b);
    Box box{uint64_t(ib.size), uint64_t(cols),          uint64_t(rows), uint64_t(g_.c), row,
            uint64_t(ib.size), uint64_t(cols * ib.size)};
    emit_box_dma(s_, slot_, Engine::kLoad, Opcode::kDmaLoad, ops_.x,
                 uint64_t(gr.img * g_.h + gr.first) * row + pixel_off, dst, box);
    s_.signal(slot_, Engine::kLoad, kInFull0 + b);
    s_.wait(slot_, Engine::kCompute, kInFull0 + b);
    return {dst, b};
  }

  void release(const Tile& t) {
    if (t.buf >= 0) s_.signal(slot_, Engine::kCompute, kInFree0 + t.buf);
  }

  // An output buffer for int32 sums (mat.conv writes them straight into it).
  int acquire_output() {
    if (g_.out_elem != 4) return -1;
    const int b = next_out_;
    next_out_ ^= 1;
    s_.wait(slot_, Engine::kCompute, kOutFree0 + b);
    return b;
  }

  void mat_conv(const Group& gr, size_t o, size_t i, const Tile& t, int ob, int wb) {
    const bool full = full_width(g_, sch_);
    const bool blocked = oblocks_.size() > 1 || iblocks_.size() > 1;
    const uint64_t dst = g_.out_elem == 4 ? base_ + p_.out[ob] : base_ + p_.acc;
    s_.emit(slot_, Engine::kCompute,
            isa::make(Opcode::kMatConv, {{Field::kSrc, int64_t(t.addr)},
                                         {Field::kWgt, int64_t(weights_at(o, i, wb))},
                                         {Field::kBias, int64_t(bias_at(o))},
                                         {Field::kDst, int64_t(dst)},
                                         {Field::kInH, gr.last - gr.first + 1},
                                         {Field::kInW, gr.clast - gr.cfirst + 1},
                                         {Field::kInC, iblocks_[i].size},
                                         {Field::kOutC, oblocks_[o].size},
                                         {Field::kKH, g_.kh},
                                         {Field::kKW, g_.kw},
                                         {Field::kStrideH, g_.sh},
                                         {Field::kStrideW, g_.sw},
                                         {Field::kDilH, g_.dh},
                                         {Field::kDilW, g_.dw},
                                         {Field::kPadT, gr.first - gr.rows.first},
                                         {Field::kPadL, full ? g_.pl : gr.cfirst - gr.cols.first},
                                         {Field::kPadB, gr.rows.last - gr.last},
                                         {Field::kPadR, full ? g_.pr : gr.cols.last - gr.clast},
                                         {Field::kGroups, blocked ? 1 : g_.group},
                                         {Field::kSrcZp, q_.x_zp},
                                         {Field::kWgtZp, q_.w_zp},
                                         {Field::kSrcSigned, q_.x_signed},
                                         {Field::kWgtSigned, q_.w_signed},
                                         {Field::kAccumulate, i > 0 ? 1 : 0},
                                         {Field::kBiasEn, i == 0 ? 1 : 0}}));
  }

  // Requantises (8-bit outputs) and writes the group's output block: in place
  // into the resident output, copied into it, or stored to DRAM.
  void output(const Group& gr, size_t o, int ob) {
    const Block blk = oblocks_[o];
    const uint64_t e = uint64_t(g_.out_elem);
    const int64_t cols = gr.c1 - gr.c0, rows = gr.r1 - gr.r0;
    const int64_t y_channels = ops_.y_channels ? ops_.y_channels : g_.oc;
    const uint64_t out_row = uint64_t(g_.ow * y_channels) * e;
    if (g_.out_elem == 1) {
      uint64_t dst;
      if (output_direct(g_, sch_)) {
        dst = ops_.y_sram->at(gr.img, gr.r0);
      } else {
        ob = next_out_;
        next_out_ ^= 1;
        if (!sch_.out_sram) s_.wait(slot_, Engine::kCompute, kOutFree0 + ob);
        dst = base_ + p_.out[ob];
      }
      s_.emit(slot_, Engine::kCompute, requant(gr.pixels(), o, dst));
      if (output_direct(g_, sch_)) return;
      if (sch_.out_sram) {
        emit_box_copy(s_, slot_, dst, uint64_t(blk.size), uint64_t(cols * blk.size),
                      ops_.y_sram->at(gr.img, gr.r0) + uint64_t(gr.c0 * g_.oc + blk.begin),
                      uint64_t(g_.oc), out_row, blk.size, cols, rows);
        return;
      }
    }
    s_.signal(slot_, Engine::kCompute, kOutFull0 + ob);
    s_.wait(slot_, Engine::kStore, kOutFull0 + ob);
    Box box{uint64_t(blk.size) * e,       uint64_t(cols), uint64_t(rows),
            uint64_t(y_channels) * e,     out_row,        uint64_t(blk.size) * e,
            uint64_t(cols * blk.size) * e};
    const int64_t channel = gr.c0 * y_channels + ops_.y_channel0 + blk.begin;
    emit_box_dma(s_, slot_, Engine::kStore, Opcode::kDmaStore, ops_.y,
                 uint64_t(gr.img * g_.oh + gr.r0) * out_row + uint64_t(channel) * e,
                 base_ + p_.out[ob], box);
    s_.signal(slot_, Engine::kStore, kOutFree0 + ob);
  }

  isa::Instruction requant(int64_t pixels, size_t o, uint64_t dst) const {
    return isa::make(Opcode::kVecRequant,
                     {{Field::kSrc, int64_t(base_ + p_.acc)},
                      {Field::kDst, int64_t(dst)},
                      {Field::kCount, pixels},
                      {Field::kChannels, oblocks_[o].size},
                      {Field::kPerChannel, 1},
                      {Field::kParams, int64_t(table_at(o))},
                      {Field::kOutZp, q_.out.y_zp},
                      {Field::kOutSigned, q_.out.y_signed},
                      {Field::kClampLo, std::max<int64_t>(-32768, q_.out.act_lo)},
                      {Field::kClampHi, std::min<int64_t>(32767, q_.out.act_hi)}});
  }
};

}  // namespace

void emit_conv(Streams& s, const Node& q, const ConvGeometry& g, const ConvSchedule& sch,
               const ConvSram& sram, const ConvParams& params, const ConvOperands& ops, int slot,
               uint64_t base, int64_t row_begin, int64_t row_end) {
  ConvEmitter(s, q, g, sch, sram, params, ops, slot, base).run(row_begin, row_end);
}

}  // namespace npusim::compiler::codegen
