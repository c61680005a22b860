#include "kernel_check.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "npusim/isa/assembler.hpp"

namespace npusim::sim {
namespace {

using isa::kernels::Range;

// The sorted, merged union of `ranges` (clipped to `size`).
std::vector<Range> merged(std::vector<Range> ranges, uint64_t size) {
  std::sort(ranges.begin(), ranges.end(),
            [](const Range& a, const Range& b) { return a.begin < b.begin; });
  std::vector<Range> out;
  for (Range r : ranges) {
    r.end = std::min(r.end, size);
    if (r.begin >= r.end) continue;
    if (!out.empty() && r.begin <= out.back().end)
      out.back().end = std::max(out.back().end, r.end);
    else
      out.push_back(r);
  }
  return out;
}

// Calls f(begin, end) for each stretch of [lo, hi) outside `inside` (merged).
template <typename F>
void outside(const std::vector<Range>& inside, uint64_t lo, uint64_t hi, F f) {
  uint64_t at = lo;
  for (const Range& r : inside) {
    if (r.begin >= hi) break;
    if (r.end <= at) continue;
    if (r.begin > at) f(at, r.begin);
    at = r.end;
  }
  if (at < hi) f(at, hi);
}

// The first byte of [begin, end) where a and b differ, or end.
uint64_t first_difference(const uint8_t* a, const uint8_t* b, uint64_t begin, uint64_t end) {
  if (std::memcmp(a + begin, b + begin, end - begin) == 0) return end;
  while (a[begin] == b[begin]) ++begin;
  return begin;
}

std::string problem_at(const isa::Instruction& in, const char* what, uint64_t byte) {
  return isa::disassemble(in) + ": SRAM byte " + std::to_string(byte) + " " + what +
         " (kernels::accesses)";
}

}  // namespace

std::string execute_checked(const isa::Instruction& in, isa::kernels::Bytes sram,
                            const isa::kernels::Accesses& acc, uint64_t margin) {
  const uint64_t size = sram.size();
  std::vector<Range> writes(acc.writes, acc.writes + acc.num_writes);
  std::vector<Range> touched = writes;
  touched.insert(touched.end(), acc.reads, acc.reads + acc.num_reads);
  writes = merged(writes, size);
  touched = merged(touched, size);
  // The bytes checked: each range and `margin` bytes either side.
  std::vector<Range> windows;
  for (const Range& r : touched)
    windows.push_back(
        {r.begin > margin ? r.begin - margin : 0, size - r.end > margin ? r.end + margin : size});
  windows = merged(windows, size);

  // The windows' bytes before the kernel, one after another. Buffers are
  // kept from call to call: fresh pages cost a fault each.
  thread_local std::vector<uint8_t> before;
  before.clear();
  for (const Range& w : windows)
    before.insert(before.end(), sram.data() + w.begin, sram.data() + w.end);
  isa::kernels::execute(in, sram);
  uint64_t at = 0;  // where window w starts in `before`
  for (const Range& w : windows) {
    std::string problem;
    outside(writes, w.begin, w.end, [&](uint64_t b, uint64_t e) {
      const uint8_t* old = before.data() + at + (b - w.begin);  // byte b before
      const uint64_t d = b + first_difference(old, sram.data() + b, 0, e - b);
      if (problem.empty() && d < e) problem = problem_at(in, "changed, outside its writes", d);
    });
    if (!problem.empty()) return problem;
    at += w.end - w.begin;
  }

  // Again on a copy whose bytes the kernel may not read are all different
  // (outside the windows it holds whatever an earlier check left).
  thread_local std::vector<uint8_t> flipped;
  if (flipped.size() < size) flipped.resize(size);
  at = 0;
  for (const Range& w : windows) {
    std::copy_n(before.data() + at, w.end - w.begin, flipped.data() + w.begin);
    at += w.end - w.begin;
    outside(touched, w.begin, w.end, [&](uint64_t b, uint64_t e) {
      for (uint64_t i = b; i < e; ++i) flipped[i] ^= 0xA5;
    });
  }
  isa::kernels::execute(in, {flipped.data(), size});
  for (const Range& r : writes) {
    const uint64_t d = first_difference(flipped.data(), sram.data(), r.begin, r.end);
    if (d < r.end) return problem_at(in, "of its result depends on bytes outside its ranges", d);
  }
  return "";
}

}  // namespace npusim::sim
