#include "sram_allocator.hpp"

#include <algorithm>

#include "streams.hpp"

namespace npusim::compiler::codegen {
namespace {

bool overlap_in_time(const SramItem& a, int64_t first, int64_t last) {
  return a.first <= last && first <= a.last;
}

bool overlap_in_space(const SramItem& a, const SramItem& b) {
  return a.addr < b.addr + b.bytes && b.addr < a.addr + a.bytes;
}

}  // namespace

std::optional<size_t> SramAllocator::place(uint64_t bytes, int64_t first, int64_t last) {
  bytes = align64(std::max<uint64_t>(bytes, 1));
  // Items live at the same time, by address: the gaps between them are the candidates.
  std::vector<const SramItem*> live;
  for (const SramItem& it : items_)
    if (overlap_in_time(it, first, last)) live.push_back(&it);
  std::sort(live.begin(), live.end(),
            [](const SramItem* a, const SramItem* b) { return a->addr < b->addr; });
  uint64_t at = begin_;
  for (const SramItem* it : live) {
    if (at + bytes <= it->addr) break;
    at = std::max(at, align64(it->addr + it->bytes));
  }
  if (at + bytes > end_) return std::nullopt;
  items_.push_back({at, bytes, first, last});
  return items_.size() - 1;
}

std::vector<size_t> SramAllocator::predecessors(size_t i) const {
  std::vector<size_t> out;
  for (size_t j = 0; j < items_.size(); ++j)
    if (j != i && items_[j].last < items_[i].first && overlap_in_space(items_[j], items_[i]))
      out.push_back(j);
  return out;
}

uint64_t SramAllocator::peak() const {
  uint64_t peak = begin_;
  for (const SramItem& it : items_) peak = std::max(peak, it.addr + it.bytes);
  return peak;
}

}  // namespace npusim::compiler::codegen
