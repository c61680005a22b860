#include "npusim/runtime/coop_runner.hpp"

#include <algorithm>
#include <mutex>
#include <set>

#include "npusim/runtime/errors.hpp"
#include "npusim/runtime/runner.hpp"

namespace npusim::runtime {

namespace {

TensorDesc describe(const compiler::Graph& g, const std::string& name) {
  const compiler::Value& v = g.value(name);
  TensorDesc d;
  d.name = name;
  d.shape = v.shape;
  d.dtype = v.dtype;
  d.layout = v.layout.empty() ? (v.shape.size() == 4 ? "NCHW" : "") : v.layout;
  return d;
}

// The ops of a CPU segment ("Softmax", ...), or its name when it lists none.
std::string ops_of(const isa::CpuSegment& s) {
  std::set<std::string> ops;
  for (const auto& l : s.layers) ops.insert(l.op);
  if (ops.empty()) return s.name;
  std::string text;
  for (const auto& op : ops) text += (text.empty() ? "" : " ") + op;
  return text;
}

// The ops after the program's last NPU segment: the tail the host runs.
std::string tail_ops(const isa::Program& p) {
  std::string tail;
  for (auto it = p.segments.rbegin(); it != p.segments.rend(); ++it) {
    const auto* cpu = std::get_if<isa::CpuSegment>(&*it);
    if (!cpu) break;
    tail = ops_of(*cpu) + (tail.empty() ? "" : " " + tail);
  }
  return tail;
}

// "request 3" -> "query 15" (queries are numbered in the batch).
std::string query_name(const std::string& name, uint64_t request, int64_t first) {
  const std::string prefix = "request " + std::to_string(request);
  const std::string query = "query " + std::to_string(first + int64_t(request));
  return name.rfind(prefix, 0) == 0 ? query + name.substr(prefix.size()) : name;
}

// A unit's session timeline moved to the batch's start and its lanes named
// for the unit's chip; each query's last host phase is its tail.
void add_npu_timeline(const SessionStats& s, const UnitSpec& unit, int64_t first,
                      const std::string& tail, std::vector<TimelineEvent>& into) {
  std::map<uint64_t, size_t> last_host;  // request -> its last host event in `into`
  for (const TimelineEvent& e : s.timeline) {
    TimelineEvent t = e;
    t.start_ps -= s.first_start_ps;
    t.end_ps -= s.first_start_ps;
    t.request = uint64_t(first) + e.request;
    t.name = query_name(e.name, e.request, first);
    const bool host = e.lane.rfind("host", 0) == 0;
    if (host) {
      t.lane = unit.name + " " + e.lane;
      auto [it, fresh] = last_host.emplace(e.request, into.size());
      if (!fresh && into[it->second].end_ps <= t.end_ps) it->second = into.size();
    } else {
      const auto space = e.lane.find(' ');
      t.lane = unit.pe_name(e.lane.substr(0, space)) + e.lane.substr(space);
    }
    into.push_back(std::move(t));
  }
  if (tail.empty()) return;
  for (const auto& [request, index] : last_host)
    into[index].name += ": tail on host (" + tail + ")";
}

}  // namespace

CoopRunner::CoopRunner(CoopOptions options) : options_(std::move(options)) {
  if (options_.units.empty())
    throw RuntimeError(RuntimeErrorKind::kInvalidInput,
                       "a cooperative run needs at least one unit");
  for (size_t i = 0; i < options_.units.size(); ++i) {
    const CoopUnit& u = options_.units[i];
    if (u.spec.kind == UnitKind::kCpu) {
      cpu_ = std::make_unique<CpuUnit>(options_.model, options_.input_shapes, u.cpu);
      cpu_index_ = i;
      models_.push_back(nullptr);
      continue;
    }
    ModelOptions mo;
    mo.hw = u.hw;
    mo.input_shapes = options_.input_shapes;
    mo.cache_dir = options_.cache_dir;
    const bool fused =
        std::find(u.spec.pes.begin(), u.spec.pes.end(), "npu0pe0-1") != u.spec.pes.end();
    mo.target = fused ? isa::Mode::kFused : isa::Mode::kSingle;
    models_.push_back(Model::load(options_.model, mo));
    if (inputs_.empty()) {
      inputs_ = models_.back()->inputs();
      outputs_ = models_.back()->outputs();
    }
  }
  if (inputs_.empty()) {  // the CPU alone: the graph's own inputs and outputs
    for (const auto& n : cpu_->graph().inputs) inputs_.push_back(describe(cpu_->graph(), n));
    for (const auto& n : cpu_->graph().outputs) outputs_.push_back(describe(cpu_->graph(), n));
  }
  if (cpu_ && cpu_->params().measured) {
    compiler::TensorMap probe;
    for (const auto& d : inputs_) probe[d.name] = Tensor(d.dtype, d.shape);
    cpu_->measure(probe);
  }
}

CoopRunner::~CoopRunner() = default;

std::string CoopRunner::cut(size_t unit) const {
  if (!models_.at(unit)) {
    return "whole model on " + std::to_string(cpu_->params().cores) + " core(s), " +
           std::to_string(cpu_->query_ns() / 1000.0).substr(0, 7) + " us per query" +
           (cpu_->params().measured ? " (measured)" : "");
  }
  const isa::Program& p = models_[unit]->program();
  size_t npu = 0;
  for (const auto& s : p.segments) npu += std::holds_alternative<isa::NpuSegment>(s);
  const std::string tail = tail_ops(p);
  return "NPU " + std::to_string(npu) + " segment(s)" +
         (tail.empty() ? ", no tail" : ", then the host: " + tail);
}

UnitPart CoopRunner::run_npu(size_t unit, int64_t first, int64_t count, const QueryInputs& inputs,
                             BatchResult& out) {
  const CoopUnit& u = options_.units[unit];
  RunnerOptions ro;
  ro.transport = options_.device(u.hw, options_.timing_only);
  ro.devices = u.spec.devices();
  ro.worker_num = options_.workers;
  ro.host = HostCostModel::from(u.hw);
  ro.timeout = options_.timeout;
  ro.keep_history = options_.keep_timeline;

  // Closed loop: the first `workers` go in together, each result submits
  // the next query (only the queries in flight hold inputs and outputs).
  // The loop's state is declared before the runner, so it outlives any
  // callback the runner's destruction may still run.
  std::mutex mutex;
  int64_t next = 0;
  std::exception_ptr error;
  AsyncRunner* live = nullptr;
  std::function<void(Result, std::exception_ptr)> done = [&](Result r, std::exception_ptr e) {
    int64_t submit = -1;
    {
      std::lock_guard lock(mutex);
      if (e) {
        if (!error) error = e;
      } else if (!options_.timing_only) {
        out.outputs.at(size_t(first) + r.timing.request) = std::move(r.outputs);
      }
      if (!error && next < count) submit = next++;
    }
    if (submit >= 0) live->run_async(inputs(first + submit), done);
  };
  AsyncRunner runner(models_[unit], ro);
  live = &runner;
  std::vector<std::vector<Tensor>> window;
  {
    std::lock_guard lock(mutex);
    while (next < count && next < options_.workers) window.push_back(inputs(first + next++));
  }
  runner.run_async_all(std::move(window), done);
  // wait_all() gives up after the timeout; a long part makes progress
  // between its waits (as npusim bench's closed loop), so wait again while
  // queries are still being submitted.
  for (int64_t seen = -1;;) {
    try {
      runner.wait_all();
      break;
    } catch (const RuntimeError& e) {
      std::lock_guard lock(mutex);
      if (e.kind() != RuntimeErrorKind::kTimeout || next == seen) throw;
      seen = next;
    }
  }
  if (error) std::rethrow_exception(error);

  const SessionStats s = runner.stats();
  UnitPart part{unit, first, count, s.span_ps()};
  if (options_.keep_timeline)
    add_npu_timeline(s, u.spec, first, tail_ops(models_[unit]->program()), out.timeline.timeline);
  return part;
}

UnitPart CoopRunner::run_cpu(size_t unit, int64_t first, int64_t count, const QueryInputs& inputs,
                             BatchResult& out) {
  const auto slots = cpu_->schedule(count);
  for (int64_t q = 0; q < count; ++q) {
    const CpuUnit::Slot& slot = slots[size_t(q)];
    if (options_.keep_timeline)
      out.timeline.timeline.push_back({"cpu core " + std::to_string(slot.core),
                                       "query " + std::to_string(first + q), slot.start_ps,
                                       slot.end_ps, uint64_t(first + q)});
    if (options_.timing_only) continue;
    const std::vector<Tensor> in = inputs(first + q);
    compiler::TensorMap named;
    for (size_t i = 0; i < inputs_.size(); ++i) named[inputs_[i].name] = in.at(i);
    compiler::TensorMap result = cpu_->run(named);
    std::vector<Tensor>& merged = out.outputs.at(size_t(first + q));
    for (const auto& d : outputs_) {
      auto it = result.find(d.name);
      if (it == result.end())
        throw RuntimeError(RuntimeErrorKind::kModel,
                           options_.model + ": the CPU unit's graph has no output " + d.name);
      merged.push_back(std::move(it->second));
    }
  }
  return {unit, first, count, cpu_->span_ps(count)};
}

BatchResult CoopRunner::run(const std::vector<int64_t>& shares, const QueryInputs& inputs) {
  if (shares.size() != options_.units.size())
    throw RuntimeError(RuntimeErrorKind::kInvalidInput,
                       "the split gives " + std::to_string(shares.size()) + " shares for " +
                           std::to_string(options_.units.size()) + " units");
  BatchResult out;
  int64_t total = 0;
  for (int64_t s : shares) total += s;
  if (!options_.timing_only) out.outputs.resize(size_t(total));
  int64_t first = 0;
  for (size_t i = 0; i < shares.size(); ++i) {
    if (shares[i] <= 0) continue;
    out.parts.push_back(models_[i] ? run_npu(i, first, shares[i], inputs, out)
                                   : run_cpu(i, first, shares[i], inputs, out));
    first += shares[i];
  }
  uint64_t end = 0;
  for (const auto& p : out.parts) end = std::max(end, p.span_ps);
  // One part alone hands its results over as they come: nothing to merge.
  const auto merge_ps =
      out.parts.size() > 1 ? static_cast<uint64_t>(options_.merge_ns * 1000.0) : 0;
  out.span_ps = end + merge_ps;
  out.timeline.first_start_ps = 0;
  out.timeline.last_end_ps = out.span_ps;
  out.timeline.requests = uint64_t(total);
  if (options_.keep_timeline) {
    for (const auto& p : out.parts)
      out.timeline.timeline.push_back({"split " + options_.units[p.unit].spec.name,
                                       "queries " + std::to_string(p.first) + "-" +
                                           std::to_string(p.first + p.count - 1) + " (" +
                                           cut(p.unit) + ")",
                                       0, p.span_ps, uint64_t(p.first)});
    if (merge_ps)
      out.timeline.timeline.push_back({"split merge",
                                       "merge " + std::to_string(total) + " queries in order", end,
                                       out.span_ps, 0});
  }
  return out;
}

uint64_t CoopRunner::alone_span_ps(size_t unit, int64_t n, const QueryInputs& inputs) {
  std::vector<int64_t> shares(options_.units.size(), 0);
  shares.at(unit) = n;
  const bool keep = options_.keep_timeline;
  options_.keep_timeline = false;
  const BatchResult r = run(shares, inputs);
  options_.keep_timeline = keep;
  return r.parts.empty() ? 0 : r.parts[0].span_ps;
}

bool CoopRunner::exact_span(size_t unit, int64_t n, uint64_t* span_ps) const {
  if (models_.at(unit)) return false;
  *span_ps = cpu_->span_ps(n);
  return true;
}

}  // namespace npusim::runtime
