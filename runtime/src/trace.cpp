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

// Chrome trace events with one process per lane group and one thread per
// lane; metadata events name them the first time they appear.
class TraceWriter {
 public:
  void add(const std::string& lane, const std::string& name, uint64_t start_ps, uint64_t end_ps,
           nlohmann::json args) {
    const auto [group, thread] = split_lane(lane);
    const bool new_group = !pids_.count(group);
    const int pid = id_of(pids_, group);
    if (new_group)
      events_.push_back(
          {{"ph", "M"}, {"name", "process_name"}, {"pid", pid}, {"args", {{"name", group}}}});
    const bool new_lane = !tids_.count(lane);
    const int tid = id_of(tids_, lane);
    if (new_lane)
      events_.push_back({{"ph", "M"},
                         {"name", "thread_name"},
                         {"pid", pid},
                         {"tid", tid},
                         {"args", {{"name", thread}}}});
    events_.push_back({{"ph", "X"},
                       {"name", name},
                       {"cat", thread},
                       {"pid", pid},
                       {"tid", tid},
                       {"ts", double(start_ps) / 1e6},  // microseconds
                       {"dur", double(end_ps - start_ps) / 1e6},
                       {"args", std::move(args)}});
  }
  std::string dump() const {
    return nlohmann::json{{"traceEvents", events_}, {"displayTimeUnit", "ns"}}.dump();
  }

 private:
  static int id_of(std::map<std::string, int>& ids, const std::string& key) {
    return ids.emplace(key, static_cast<int>(ids.size()) + 1).first->second;
  }
  nlohmann::json events_ = nlohmann::json::array();
  std::map<std::string, int> pids_, tids_;
};

}  // namespace

std::string chrome_trace(const SessionStats& stats) {
  TraceWriter w;
  for (const TimelineEvent& e : stats.timeline)
    w.add(e.lane, e.name, e.start_ps, e.end_ps, {{"request", e.request}});
  for (const LayerEvent& e : stats.layer_events)
    w.add(e.pe + " " + e.engine, e.name, e.start_ps, e.end_ps,
          {{"request", e.request},
           {"op", e.op},
           {"instructions", e.instructions},
           {"busy_us", double(e.busy_ps) / 1e6},
           {"macs", e.macs},
           {"dma_bytes", e.dma_bytes}});
  return w.dump();
}

}  // namespace npusim::runtime
