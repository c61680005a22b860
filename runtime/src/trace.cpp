#include "npusim/runtime/trace.hpp"

#include <map>
#include <nlohmann/json.hpp>

namespace npusim::runtime {

namespace {

// "npu0pe0 run" -> ("npu0pe0", "run"); "host 3" -> ("host", "host 3").
std::pair<std::string, std::string> split_lane(const std::string& lane) {
  if (lane.rfind("host", 0) == 0) return {"host", lane};
  const auto space = lane.rfind(' ');
  if (space == std::string::npos) return {lane, lane};
  return {lane.substr(0, space), lane.substr(space + 1)};
}

}  // namespace

std::string chrome_trace(const SessionStats& stats) {
  nlohmann::json events = nlohmann::json::array();
  std::map<std::string, int> pids;
  std::map<std::string, int> tids;
  auto id_of = [](std::map<std::string, int>& ids, const std::string& key) {
    return ids.emplace(key, static_cast<int>(ids.size()) + 1).first->second;
  };
  for (const TimelineEvent& e : stats.timeline) {
    const auto [group, lane] = split_lane(e.lane);
    const bool new_group = !pids.count(group);
    const int pid = id_of(pids, group);
    if (new_group)
      events.push_back(
          {{"ph", "M"}, {"name", "process_name"}, {"pid", pid}, {"args", {{"name", group}}}});
    const bool new_lane = !tids.count(e.lane);
    const int tid = id_of(tids, e.lane);
    if (new_lane)
      events.push_back({{"ph", "M"},
                        {"name", "thread_name"},
                        {"pid", pid},
                        {"tid", tid},
                        {"args", {{"name", lane}}}});
    events.push_back({{"ph", "X"},
                      {"name", e.name},
                      {"cat", lane},
                      {"pid", pid},
                      {"tid", tid},
                      {"ts", double(e.start_ps) / 1e6},  // microseconds
                      {"dur", double(e.end_ps - e.start_ps) / 1e6},
                      {"args", {{"request", e.request}}}});
  }
  return nlohmann::json{{"traceEvents", events}, {"displayTimeUnit", "ns"}}.dump();
}

}  // namespace npusim::runtime
