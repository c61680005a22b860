// Internal: placing tensors that stay in SRAM across layers. Each item lives
// for an inclusive range of layers and takes the same bytes on every PE; two
// items may share addresses only when their lifetimes do not overlap. Items
// are placed first-fit in the order they are offered, which the segment
// planner makes its order of priority.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace npusim::compiler::codegen {

struct SramItem {
  uint64_t addr = 0, bytes = 0;
  int64_t first = 0, last = 0;  // layers during which the item is live (inclusive)
};

class SramAllocator {
 public:
  // Items go in [begin, end) of each PE's SRAM.
  SramAllocator(uint64_t begin, uint64_t end) : begin_(begin), end_(end) {}

  // The lowest address where `bytes` fit for layers [first, last]; records
  // the item and returns its index, or nothing if it does not fit.
  std::optional<size_t> place(uint64_t bytes, int64_t first, int64_t last);

  const SramItem& item(size_t i) const { return items_[i]; }
  size_t size() const { return items_.size(); }
  // Items placed earlier in time at addresses overlapping item i's: their
  // data must be dead before item i's is written.
  std::vector<size_t> predecessors(size_t i) const;
  // The highest address in use at any layer.
  uint64_t peak() const;

 private:
  uint64_t begin_, end_;
  std::vector<SramItem> items_;
};

}  // namespace npusim::compiler::codegen
