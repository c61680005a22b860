// Static properties of compute instructions: output sizes, the SRAM byte
// ranges they touch, and their work (MACs / vector elements). Used by the
// verifier for range checks and by the simulator for timing and traffic.
#include "kernel_shapes.hpp"
#include "npusim/isa/kernels.hpp"

namespace npusim::isa::kernels {

using detail::ConvShape;
using F = Field;

int64_t conv_out_size(int64_t in, int64_t pad_begin, int64_t pad_end, int64_t kernel,
                      int64_t stride, int64_t dilation) {
  // Invalid parameters (rejected by the verifier) yield an empty output rather than UB.
  if (kernel < 1 || stride < 1 || dilation < 1) return 0;
  const int64_t span = in + pad_begin + pad_end - dilation * (kernel - 1) - 1;
  return span < 0 ? 0 : span / stride + 1;
}

namespace {

// Collects ranges, skipping empty ones (a zero-sized access touches nothing).
struct Builder {
  Accesses a;
  void read(int64_t begin, uint64_t bytes) {
    if (bytes) a.reads[a.num_reads++] = {uint64_t(begin), uint64_t(begin) + bytes};
  }
  void write(int64_t begin, uint64_t bytes) {
    if (bytes) a.writes[a.num_writes++] = {uint64_t(begin), uint64_t(begin) + bytes};
  }
};

// Extent in bytes of a strided 3-D walk: last element's offset + element size.
uint64_t strided_extent(const Instruction& in, F s0, F s1, F s2) {
  const uint64_t c0 = in.u(F::kCnt0), c1 = in.u(F::kCnt1), c2 = in.u(F::kCnt2);
  if (!c0 || !c1 || !c2) return 0;
  return (c0 - 1) * in.u(s0) + (c1 - 1) * in.u(s1) + (c2 - 1) * in.u(s2) + in.u(F::kElem);
}

void conv_accesses(const Instruction& in, Builder& b) {
  const ConvShape s = detail::conv_shape(in);
  const uint64_t out_bytes = 4 * uint64_t(s.out_h * s.out_w * s.out_c);
  b.read(in[F::kSrc], uint64_t(s.in_h * s.in_w * s.in_c));
  b.read(in[F::kWgt], s.weight_elems());
  if (in[F::kBiasEn]) b.read(in[F::kBias], 4 * uint64_t(s.out_c));
  if (in[F::kAccumulate]) b.read(in[F::kDst], out_bytes);
  b.write(in[F::kDst], out_bytes);
}

void mm_accesses(const Instruction& in, Builder& b) {
  const uint64_t m = in.u(F::kM), k = in.u(F::kK), n = in.u(F::kN);
  b.read(in[F::kSrc], m * k);
  b.read(in[F::kWgt], n * k);
  if (in[F::kBiasEn]) b.read(in[F::kBias], 4 * n);
  if (in[F::kAccumulate]) b.read(in[F::kDst], 4 * m * n);
  b.write(in[F::kDst], 4 * m * n);
}

void elementwise_accesses(const Instruction& in, Builder& b) {
  const uint64_t count = in.u(F::kCount), ch = in.u(F::kChannels);
  b.read(in[F::kSrc], detail::bcast_elems(in[F::kBcastA], count, ch));
  b.read(in[F::kSrc2], detail::bcast_elems(in[F::kBcastB], count, ch));
  b.write(in[F::kDst], count * ch);
}

}  // namespace

Accesses accesses(const Instruction& in) {
  Builder b;
  switch (in.op) {
    case Opcode::kMatConv:
      conv_accesses(in, b);
      break;
    case Opcode::kMatMul:
      mm_accesses(in, b);
      break;
    case Opcode::kVecRequant: {
      const uint64_t n = in.u(F::kCount) * in.u(F::kChannels);
      b.read(in[F::kSrc], 4 * n);
      if (in[F::kPerChannel]) b.read(in[F::kParams], 8 * in.u(F::kChannels));
      b.write(in[F::kDst], n);
      break;
    }
    case Opcode::kVecAdd:
    case Opcode::kVecMul:
      elementwise_accesses(in, b);
      break;
    case Opcode::kVecLut:
    case Opcode::kVecLutN: {
      const uint64_t tables = in.op == Opcode::kVecLutN ? in.u(F::kTables) : 1;
      b.read(in[F::kSrc], in.u(F::kLen));
      if (in.u(F::kLen)) b.read(in[F::kTable], 256 * tables);
      b.write(in[F::kDst], in.u(F::kLen));
      break;
    }
    case Opcode::kVecPool: {
      const auto s = detail::pool_shape(in);
      b.read(in[F::kSrc], uint64_t(s.in_h * s.in_w * s.in_c));
      b.write(in[F::kDst], uint64_t(s.out_h * s.out_w * s.in_c));
      break;
    }
    case Opcode::kVecCopy:
      b.read(in[F::kSrc], strided_extent(in, F::kSrcS0, F::kSrcS1, F::kSrcS2));
      b.write(in[F::kDst], strided_extent(in, F::kDstS0, F::kDstS1, F::kDstS2));
      break;
    case Opcode::kVecFill:
      b.write(in[F::kDst], in.u(F::kLen));
      break;
    case Opcode::kVecResize:
      b.read(in[F::kSrc], in.u(F::kInH) * in.u(F::kInW) * in.u(F::kInC));
      b.write(in[F::kDst], in.u(F::kOutH) * in.u(F::kOutW) * in.u(F::kInC));
      break;
    default:
      break;  // DMA and control instructions touch no SRAM through the compute unit
  }
  return b.a;
}

uint64_t mac_count(const Instruction& in) {
  if (in.op == Opcode::kMatConv) {
    const ConvShape s = detail::conv_shape(in);
    return uint64_t(s.out_h * s.out_w) * s.weight_elems();
  }
  if (in.op == Opcode::kMatMul) return in.u(F::kM) * in.u(F::kN) * in.u(F::kK);
  return 0;
}

uint64_t vector_elements(const Instruction& in) {
  switch (in.op) {
    case Opcode::kVecRequant:
    case Opcode::kVecAdd:
    case Opcode::kVecMul:
      return in.u(F::kCount) * in.u(F::kChannels);
    case Opcode::kVecLut:
    case Opcode::kVecLutN:
    case Opcode::kVecFill:
      return in.u(F::kLen);
    case Opcode::kVecPool: {
      const auto s = detail::pool_shape(in);
      return uint64_t(s.out_h * s.out_w * s.in_c);
    }
    case Opcode::kVecCopy:
      return in.u(F::kCnt0) * in.u(F::kCnt1) * in.u(F::kCnt2);
    case Opcode::kVecResize:
      return in.u(F::kOutH) * in.u(F::kOutW) * in.u(F::kInC);
    default:
      return 0;
  }
}

}  // namespace npusim::isa::kernels
