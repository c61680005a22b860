// Decoded instruction streams, kept across RUN commands: a program placed
// once in DRAM is decoded at its first RUN, not at every one. Each use checks
// the stream's words in DRAM against the words it was decoded from, so a
// program rewritten in place (or another program at the same address) is
// decoded afresh: what runs is always what DRAM holds.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "npusim/isa/instruction.hpp"

namespace npusim::sim {

using DecodedStream = std::vector<isa::Instruction>;

class StreamCache {
 public:
  // The stream decoded from exactly `words` at `addr`, or null.
  std::shared_ptr<const DecodedStream> find(uint64_t addr, std::span<const uint32_t> words) const;
  // Remembers `code` as the decoding of `words` at `addr`.
  void insert(uint64_t addr, std::span<const uint32_t> words,
              std::shared_ptr<const DecodedStream> code);
  void clear() { entries_.clear(); }

 private:
  // Streams live at a few addresses (a program per runner); beyond this many
  // the oldest entry goes.
  static constexpr size_t kMaxEntries = 64;
  struct Entry {
    std::vector<uint32_t> words;
    std::shared_ptr<const DecodedStream> code;
    uint64_t inserted = 0;
  };
  std::map<std::pair<uint64_t, size_t>, Entry> entries_;  // by (address, words)
  uint64_t insertions_ = 0;
};

}  // namespace npusim::sim
