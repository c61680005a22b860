// Reading and comparing instruction traces (trace_diff.hpp).
#include "npusim/debug/trace_diff.hpp"

#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "npusim/common/files.hpp"
#include "npusim/common/limits.hpp"

namespace npusim::debug {
namespace {

using Key = std::tuple<uint64_t, int, std::string, uint32_t>;

Key key_of(const TracedInstruction& t) {
  return {t.task, t.slot, t.engine, t.index};
}

TracedInstruction parse_line(const std::string& line) {
  const nlohmann::json j = nlohmann::json::parse(line);
  TracedInstruction t;
  t.task = j.at("task").get<uint64_t>();
  t.slot = j.at("slot").get<int>();
  t.engine = j.at("engine").get<std::string>();
  t.index = j.at("index").get<uint32_t>();
  t.pe = j.at("pe").get<int>();
  t.start = j.at("start").get<uint64_t>();
  t.end = j.at("end").get<uint64_t>();
  t.assembly = j.at("asm").get<std::string>();
  t.write = j.value("write", "");
  t.checksum = j.value("checksum", "");
  return t;
}

// What differs between two instructions at the same place, "" if nothing.
std::string content_difference(const TracedInstruction& a, const TracedInstruction& b) {
  if (a.assembly != b.assembly) return "operands";
  if (a.write != b.write) return "written range";
  if (a.checksum != b.checksum) return "checksum";
  return "";
}

}  // namespace

std::string TracedInstruction::key() const {
  return "task " + std::to_string(task) + " slot " + std::to_string(slot) + " " + engine + " #" +
         std::to_string(index);
}

std::vector<TracedInstruction> read_trace(const std::string& path) {
  // A trace line is about 200 bytes: the limit allows some ten million instructions.
  std::istringstream in(files::read_file(path, limits::kMaxTensorBytes, "an instruction trace"));
  std::vector<TracedInstruction> out;
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    try {
      out.push_back(parse_line(line));
    } catch (const std::exception& e) {
      throw std::runtime_error(path + ":" + std::to_string(n) +
                               ": not an instruction trace line (npusim exec/run "
                               "--trace-instructions writes them): " +
                               e.what());
    }
  }
  return out;
}

TraceDiff diff_traces(const std::vector<TracedInstruction>& a,
                      const std::vector<TracedInstruction>& b) {
  TraceDiff d;
  d.a_count = a.size();
  d.b_count = b.size();
  std::map<Key, const TracedInstruction*> in_b;
  for (const auto& t : b) {
    in_b.emplace(key_of(t), &t);
    d.b_end = std::max(d.b_end, t.end);
  }
  uint64_t first_start = 0;
  auto note = [&](TraceDifference diff, uint64_t start) {
    ++d.differing;
    if (!d.first || start < first_start) {
      d.first = std::move(diff);
      first_start = start;
    }
  };
  for (const auto& t : a) {
    d.a_end = std::max(d.a_end, t.end);
    auto it = in_b.find(key_of(t));
    if (it == in_b.end()) {
      ++d.only_a;
      note({t, std::nullopt, "only in A"}, t.start);
      continue;
    }
    const TracedInstruction& u = *it->second;
    in_b.erase(it);
    const std::string what = content_difference(t, u);
    if (!what.empty()) note({t, u, what}, t.start);
    if (t.start != u.start || t.end != u.end) {
      ++d.other_cycles;
      if (!d.first_cycles) d.first_cycles = TraceDifference{t, u, "cycles"};
    }
  }
  for (const auto& t : b)  // what is left in in_b: only in B, in B's order
    if (in_b.count(key_of(t))) {
      ++d.only_b;
      note({std::nullopt, t, "only in B"}, t.start);
    }
  return d;
}

}  // namespace npusim::debug
