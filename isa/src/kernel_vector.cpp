// Vector-unit data-movement kernels: vec.lut, vec.lutn, vec.copy, vec.fill.
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "kernel_impl.hpp"
#include "op_descriptor.hpp"
#include "simd_level.hpp"

namespace npusim::isa::kernels::detail {
namespace {

using F = Field;

bool overlaps(const Range& a, const Range& b) {
  return a.begin < b.end && b.begin < a.end;
}

// vec.copy moves elements of 1, 2 or 4 bytes.
bool valid_elem(int64_t e) {
  return e == 1 || e == 2 || e == 4;
}

// dst[i] = table[src[i]] for 64 bytes at a time: vpermi2b looks up 7-bit
// indexes in 128-byte halves of the table; bit 7 of the index picks the half.
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) void lookup_vbmi(const uint8_t* table,
                                                                        const uint8_t* src,
                                                                        uint8_t* dst,
                                                                        uint64_t len) {
  const __m512i t0 = _mm512_loadu_si512(table), t1 = _mm512_loadu_si512(table + 64);
  const __m512i t2 = _mm512_loadu_si512(table + 128), t3 = _mm512_loadu_si512(table + 192);
  uint64_t i = 0;
  for (; i + 64 <= len; i += 64) {
    const __m512i idx = _mm512_loadu_si512(src + i);
    const __m512i low = _mm512_permutex2var_epi8(t0, idx, t1);
    const __m512i high = _mm512_permutex2var_epi8(t2, idx, t3);
    _mm512_storeu_si512(dst + i, _mm512_mask_blend_epi8(_mm512_movepi8_mask(idx), low, high));
  }
  for (; i < len; ++i) dst[i] = table[src[i]];
}

// dst[i] = table[256 * (i mod tables) + src[i]] (vec.lut: one table).
void lookup(const Instruction& in, Bytes sram, uint64_t tables) {
  const uint64_t len = in.u(F::kLen);
  if (len == 0) return;
  const uint8_t* table = sram.data() + in[F::kTable];
  const uint8_t* src = sram.data() + in[F::kSrc];
  uint8_t* dst = sram.data() + in[F::kDst];
  // A dst range covering the tables must still read the original tables.
  thread_local std::vector<uint8_t> copy;
  if (overlaps({uint64_t(in[F::kDst]), in[F::kDst] + len},
               {uint64_t(in[F::kTable]), in[F::kTable] + kLutTableBytes * tables})) {
    copy.assign(table, table + kLutTableBytes * tables);
    table = copy.data();
  }
  // Element by element, a dst just above src reads bytes already written;
  // the vector loop reads 64 at a time, so it takes only the other cases.
  if (tables == 1 && kernels::host_vbmi() && (dst <= src || dst >= src + len))
    return lookup_vbmi(table, src, dst, len);
  if (tables == 1) {
    for (uint64_t i = 0; i < len; ++i) dst[i] = table[src[i]];
    return;
  }
  for (uint64_t i = 0, t = 0; i < len; ++i, t = t + 1 == tables ? 0 : t + 1)
    dst[i] = table[kLutTableBytes * t + src[i]];
}

void exec_lut(const Instruction& in, Bytes sram) {
  lookup(in, sram, 1);
}

void exec_lut_n(const Instruction& in, Bytes sram) {
  const uint64_t tables = in.u(F::kTables);
  if (tables == 0) throw IsaError("vec.lutn: tables must be at least 1");
  lookup(in, sram, tables);
}

void exec_copy(const Instruction& in, Bytes sram) {
  const int64_t elem = in[F::kElem];
  if (!valid_elem(elem))
    throw IsaError("vec.copy: elem must be 1, 2 or 4 bytes, got " + std::to_string(elem));
  const int64_t c0 = in[F::kCnt0], c1 = in[F::kCnt1], c2 = in[F::kCnt2];
  const int64_t s0 = in[F::kSrcS0], s1 = in[F::kSrcS1], s2 = in[F::kSrcS2];
  const int64_t d0 = in[F::kDstS0], d1 = in[F::kDstS1], d2 = in[F::kDstS2];
  const uint8_t* src = sram.data() + in[F::kSrc];
  uint8_t* dst = sram.data() + in[F::kDst];
  // Semantics: every source element is read before any destination byte is
  // written. Only overlapping ranges need the staging copy.
  const Accesses acc = accesses(in);
  std::vector<uint8_t> staged;
  if (acc.num_reads && acc.num_writes && overlaps(acc.reads[0], acc.writes[0])) {
    staged.assign(sram.begin() + acc.reads[0].begin, sram.begin() + acc.reads[0].end);
    src = staged.data();
  }
  for (int64_t i2 = 0; i2 < c2; ++i2)
    for (int64_t i1 = 0; i1 < c1; ++i1) {
      const uint8_t* s = src + i1 * s1 + i2 * s2;
      uint8_t* d = dst + i1 * d1 + i2 * d2;
      if (s0 == elem && d0 == elem) {  // contiguous row: one block copy
        std::memcpy(d, s, c0 * elem);
        continue;
      }
      for (int64_t i0 = 0; i0 < c0; ++i0) std::memcpy(d + i0 * d0, s + i0 * s0, elem);
    }
}

void exec_fill(const Instruction& in, Bytes sram) {
  std::memset(sram.data() + in[F::kDst], static_cast<int>(in[F::kValue] & 0xff), in.u(F::kLen));
}

// --- what the verifier, the access ranges and the cost model know of them ---

using verify_detail::at_least_1;
using verify_detail::Issue;

void len_rules(const Instruction& in, std::vector<Issue>& out) {
  at_least_1(in, {F::kLen}, out);
}

void lut_n_rules(const Instruction& in, std::vector<Issue>& out) {
  at_least_1(in, {F::kLen, F::kTables}, out);
}

void copy_rules(const Instruction& in, std::vector<Issue>& out) {
  const int64_t e = in[F::kElem];
  if (!valid_elem(e))
    out.push_back({F::kElem, "elem must be 1, 2 or 4 bytes, got " + std::to_string(e)});
  at_least_1(in, {F::kCnt0, F::kCnt1, F::kCnt2}, out);
}

void lookup_accesses(const Instruction& in, ops::AccessBuilder& b, uint64_t tables) {
  b.read(in[F::kSrc], in.u(F::kLen));
  if (in.u(F::kLen)) b.read(in[F::kTable], kLutTableBytes * tables);
  b.write(in[F::kDst], in.u(F::kLen));
}

void lut_accesses(const Instruction& in, ops::AccessBuilder& b) {
  lookup_accesses(in, b, 1);
}

void lut_n_accesses(const Instruction& in, ops::AccessBuilder& b) {
  lookup_accesses(in, b, in.u(F::kTables));
}

// Extent in bytes of a strided 3-D walk: last element's offset + element size.
uint64_t strided_extent(const Instruction& in, F s0, F s1, F s2) {
  const uint64_t c0 = in.u(F::kCnt0), c1 = in.u(F::kCnt1), c2 = in.u(F::kCnt2);
  if (!c0 || !c1 || !c2) return 0;
  return (c0 - 1) * in.u(s0) + (c1 - 1) * in.u(s1) + (c2 - 1) * in.u(s2) + in.u(F::kElem);
}

void copy_accesses(const Instruction& in, ops::AccessBuilder& b) {
  b.read(in[F::kSrc], strided_extent(in, F::kSrcS0, F::kSrcS1, F::kSrcS2));
  b.write(in[F::kDst], strided_extent(in, F::kDstS0, F::kDstS1, F::kDstS2));
}

void fill_accesses(const Instruction& in, ops::AccessBuilder& b) {
  b.write(in[F::kDst], in.u(F::kLen));
}

uint64_t len_elements(const Instruction& in) {
  return in.u(F::kLen);
}

uint64_t copy_elements(const Instruction& in) {
  return in.u(F::kCnt0) * in.u(F::kCnt1) * in.u(F::kCnt2);
}

// The vector unit moves 8-bit lanes: a wider element takes `elem` of them.
uint64_t copy_lane_work(const Instruction& in, uint64_t elements) {
  return elements * std::max<uint64_t>(1, in.u(F::kElem));
}

}  // namespace

}  // namespace npusim::isa::kernels::detail

namespace npusim::isa::ops {

using namespace kernels::detail;

constinit const OpDescriptor kVecLutOp{.opcode = Opcode::kVecLut,
                                       .unit = Unit::kVector,
                                       .shape = len_rules,
                                       .accesses = lut_accesses,
                                       .execute = exec_lut,
                                       .elements = len_elements};

constinit const OpDescriptor kVecLutNOp{.opcode = Opcode::kVecLutN,
                                        .unit = Unit::kVector,
                                        .shape = lut_n_rules,
                                        .accesses = lut_n_accesses,
                                        .execute = exec_lut_n,
                                        .elements = len_elements};

constinit const OpDescriptor kVecCopyOp{.opcode = Opcode::kVecCopy,
                                        .unit = Unit::kVector,
                                        .shape = copy_rules,
                                        .accesses = copy_accesses,
                                        .execute = exec_copy,
                                        .elements = copy_elements,
                                        .lane_work = copy_lane_work};

constinit const OpDescriptor kVecFillOp{.opcode = Opcode::kVecFill,
                                        .unit = Unit::kVector,
                                        .shape = len_rules,
                                        .accesses = fill_accesses,
                                        .execute = exec_fill,
                                        .elements = len_elements};

}  // namespace npusim::isa::ops
