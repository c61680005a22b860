#include "stream_cache.hpp"

#include <algorithm>

namespace npusim::sim {

std::shared_ptr<const DecodedStream> StreamCache::find(uint64_t addr,
                                                       std::span<const uint32_t> words) const {
  const auto it = entries_.find({addr, words.size()});
  if (it == entries_.end() || !std::equal(words.begin(), words.end(), it->second.words.begin()))
    return nullptr;
  return it->second.code;
}

void StreamCache::insert(uint64_t addr, std::span<const uint32_t> words,
                         std::shared_ptr<const DecodedStream> code) {
  if (entries_.size() >= kMaxEntries && !entries_.count({addr, words.size()})) {
    const auto oldest = std::min_element(entries_.begin(), entries_.end(), [](auto& a, auto& b) {
      return a.second.inserted < b.second.inserted;
    });
    entries_.erase(oldest);
  }
  entries_[{addr, words.size()}] = {{words.begin(), words.end()}, std::move(code), ++insertions_};
}

}  // namespace npusim::sim
