// Vector-unit data-movement kernels: vec.lut, vec.lutn, vec.copy, vec.fill.
#include <immintrin.h>

#include <cstring>
#include <string>
#include <vector>

#include "kernel_impl.hpp"
#include "simd_level.hpp"

namespace npusim::isa::kernels::detail {
namespace {

using F = Field;

bool overlaps(const Range& a, const Range& b) {
  return a.begin < b.end && b.begin < a.end;
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
               {uint64_t(in[F::kTable]), in[F::kTable] + 256 * tables})) {
    copy.assign(table, table + 256 * tables);
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
    dst[i] = table[256 * t + src[i]];
}

}  // namespace

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
  if (elem != 1 && elem != 2 && elem != 4)
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

}  // namespace npusim::isa::kernels::detail
