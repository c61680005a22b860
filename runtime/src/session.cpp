#include "session.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "host_allocator.hpp"
#include "host_work_cost.hpp"
#include "npusim/common/limits.hpp"
#include "npusim/driver/errors.hpp"
#include "npusim/runtime/batch_images.hpp"
#include "npusim/runtime/device_list.hpp"
#include "shared_device.hpp"
#include "tensor_staging.hpp"

namespace npusim::runtime {

namespace {
constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();
// A device that produces no interrupt for this long (simulated) is stuck.
constexpr uint64_t kStallPs = 10'000'000'000'000ull;  // 10 s
// Without a blocked application thread or a full set of workers, the
// dispatcher still moves on after this much wall time (callback-only users).
constexpr std::chrono::milliseconds kGrace{20};

uint64_t wall_ps_since(std::chrono::steady_clock::time_point t0) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
          .count() *
      1000);
}
// A device error for another thread to read. Thrown and caught rather than
// std::make_exception_ptr(RuntimeError(...)): that copies a temporary whose
// message buffer (runtime_error's reference-counted string) it shares, and
// this thread would free the buffer when the temporary dies, possibly after
// the application thread has read it. Correct either way, but libstdc++ counts
// the references out of ThreadSanitizer's sight, so TSan would report a race.
std::exception_ptr device_error(const std::string& message) {
  try {
    throw RuntimeError(RuntimeErrorKind::kDevice, message);
  } catch (...) {
    return std::current_exception();
  }
}

}  // namespace

struct Session::Request {
  uint64_t id = 0;
  std::vector<Tensor> inputs;
  std::vector<std::string> wanted;
  Done done;
  compiler::TensorMap env;  // values by name as the request moves through the segments
  size_t next = 0;          // next program segment
  bool started = false, to_device = false, outputs_on_device = false;
  Phase phase = Phase::kHost;
  uint64_t phase_end = 0, device_start = 0;
  int lane = -1, slot = -1;
  size_t npu_segment = 0;
  LaneTickets tickets;
  int attempts = 0;  // device submissions retried after a fault
  std::vector<Tensor> outputs;
  RequestTiming timing;
  std::exception_ptr error;
};

Session::Session(std::shared_ptr<const Model> model, RunnerOptions options)
    : model_(std::move(model)), options_(std::move(options)) {
  if (!model_) throw RuntimeError(RuntimeErrorKind::kInvalidInput, "no model given");
  keep_freed_tensors_in_heap();
  if (!options_.transport)
    throw RuntimeError(RuntimeErrorKind::kInvalidInput,
                       "RunnerOptions::transport is not set (e.g. sim::in_process_device(...))");
  if (options_.worker_num < 1 || options_.worker_num > limits::kMaxWorkers)
    throw RuntimeError(RuntimeErrorKind::kInvalidInput,
                       "worker_num must be between 1 and " + std::to_string(limits::kMaxWorkers) +
                           ", got " + std::to_string(options_.worker_num));
  if (options_.retries < 0)
    throw RuntimeError(RuntimeErrorKind::kInvalidInput,
                       "retries must not be negative, got " + std::to_string(options_.retries));
  const isa::Program& program = model_->program();
  host_ = options_.host.value_or(HostCostModel::from(program.hw));
  if (host_.cores < 1)
    throw RuntimeError(RuntimeErrorKind::kInvalidInput, "host cores must be at least 1");
  host_lane_free_.assign(host_.cores, 0);
  const bool fused = program.mode == isa::Mode::kFused;
  const std::vector<std::string> names =
      parse_device_list(options_.devices, fused ? "npu0pe0-1" : "npu0pe0");
  for (const auto& name : names)
    if ((pe_mask_of(name) == 3) != fused)
      throw RuntimeError(RuntimeErrorKind::kInvalidInput,
                         model_->origin() + " was compiled for " +
                             (fused ? "fused PEs (--target fused): use a device like npu0pe0-1"
                                    : "one PE (--target single): use npu0pe0 or npu0pe1") +
                             ", not " + name);
  device_ = shared_device(options_.transport);
  const uint64_t dram_before = device_->dram_in_use();
  try {
    placed_ = std::make_unique<PlacedProgram>(*device_, program);
    const int slots = (options_.worker_num + int(names.size()) - 1) / int(names.size());
    for (const auto& name : names)
      lanes_.push_back(std::make_unique<DeviceLane>(*device_, name, *placed_, slots));
  } catch (const driver::DriverError& e) {
    tracer_.reset();
    lanes_.clear();
    placed_.reset();
    throw RuntimeError(
        e.kind() == driver::ErrorKind::kBusy ? RuntimeErrorKind::kBusy : RuntimeErrorKind::kDevice,
        e.what());
  }
  stats_.dram_bytes = device_->dram_in_use() - dram_before;
  // The trace ring is the profiler's, not the model's: not in dram_bytes.
  if (options_.device_trace) {
    uint32_t pes = 0;
    for (const auto& lane : lanes_) pes |= lane->pe_mask();
    tracer_ = std::make_unique<LayerTracer>(*device_, program, *placed_, pes);
  }
  for (size_t i = 0; i < program.segments.size(); ++i)
    std::visit(
        [&](const auto& seg) {
          for (const auto& name : seg.inputs) last_use_[name] = i;
        },
        program.segments[i]);
  for (const auto& out : program.outputs) last_use_[out.name] = program.segments.size();
  cpu_segment_ns_.assign(program.segments.size(), 0);
  images_per_run_.assign(program.segments.size(), 1);
  boundary_.resize(program.segments.size());
  for (size_t i = 0; i < program.segments.size(); ++i)
    if (std::holds_alternative<isa::CpuSegment>(program.segments[i])) {
      // A batch of one image's graph runs it once per image (batch_images.hpp).
      images_per_run_[i] = images_per_run(model_->cpu_graph(i), program.batch);
      cpu_segment_ns_[i] = cpu_segment_cost_ns(model_->cpu_graph(i), host_) *
                           double(std::max(1, program.batch) / images_per_run_[i]);
      boundary_[i] = BoundarySegment::plan(model_->cpu_graph(i));
    }
  for (int pe = 0; pe < device_->info().num_pes; ++pe)
    counters_at_start_.push_back(device_->counters(pe));
  now_ = device_->now_ps();
  if (options_.inject && options_.inject.when == FaultInjection::When::kInstruction)
    device_->arm_fault(options_.inject.kind, options_.inject.n);
  thread_ = std::thread([this] { loop(); });
}

Session::~Session() {
  close();
}

void Session::close() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

// ---- application side --------------------------------------------------

void Session::check_inputs(const std::vector<Tensor>& inputs) const {
  const auto& want = model_->inputs();
  if (inputs.size() != want.size())
    throw RuntimeError(RuntimeErrorKind::kInvalidInput,
                       model_->origin() + " takes " + std::to_string(want.size()) +
                           " input(s), got " + std::to_string(inputs.size()));
  for (size_t i = 0; i < want.size(); ++i)
    if (inputs[i].dtype() != want[i].dtype || inputs[i].shape() != want[i].shape)
      throw RuntimeError(RuntimeErrorKind::kInvalidInput,
                         "input \"" + want[i].name + "\" must be " +
                             std::string(compiler::dtype_name(want[i].dtype)) + " " +
                             compiler::shape_string(want[i].shape) + ", got " +
                             std::string(compiler::dtype_name(inputs[i].dtype())) + " " +
                             compiler::shape_string(inputs[i].shape()));
  // A NaN has no int8 value: quantising it would be silent garbage.
  for (size_t i = 0; i < want.size(); ++i) {
    if (inputs[i].dtype() != compiler::DType::kFloat32) continue;
    const auto values = inputs[i].as<float>();
    const auto nan =
        std::find_if(values.begin(), values.end(), [](float v) { return std::isnan(v); });
    if (nan != values.end())
      throw RuntimeError(RuntimeErrorKind::kInvalidInput,
                         "input \"" + want[i].name + "\" holds NaN (at element " +
                             std::to_string(nan - values.begin()) + " of " +
                             std::to_string(values.size()) + ")");
  }
}

std::unique_ptr<Session::Request> Session::make_request(std::vector<Tensor> inputs,
                                                        std::vector<std::string> wanted,
                                                        Done done) {
  if (!options_.preprocess) check_inputs(inputs);
  for (const auto& name : wanted)
    if (!model_->find_output(name))
      throw RuntimeError(RuntimeErrorKind::kInvalidInput,
                         model_->origin() + " has no output named \"" + name + "\"");
  auto r = std::make_unique<Request>();
  r->inputs = std::move(inputs);
  r->wanted = std::move(wanted);
  r->done = std::move(done);
  return r;
}

// Under one lock: the dispatcher takes the whole batch in one intake.
void Session::push_requests(std::vector<std::unique_ptr<Request>> requests) {
  {
    std::lock_guard lock(mutex_);
    if (fatal_) throw RuntimeError(RuntimeErrorKind::kDevice, *fatal_);
    if (closing_) throw RuntimeError(RuntimeErrorKind::kClosed, "the runner is closed");
    for (auto& r : requests) {
      r->id = next_id_++;
      r->timing.request = r->id;
      ++waiting_;
      intake_.push_back(std::move(r));
    }
    idle_ = false;
  }
  cv_.notify_all();
}

void Session::enqueue(std::vector<Tensor> inputs, std::vector<std::string> wanted, Done done) {
  std::vector<std::unique_ptr<Request>> one;
  one.push_back(make_request(std::move(inputs), std::move(wanted), std::move(done)));
  push_requests(std::move(one));
}

void Session::enqueue_all(std::vector<std::vector<Tensor>> inputs,
                          const std::function<Done()>& done) {
  std::vector<std::unique_ptr<Request>> requests;
  for (auto& in : inputs) requests.push_back(make_request(std::move(in), {}, done()));
  push_requests(std::move(requests));
}

void Session::block_begin() {
  {
    std::lock_guard lock(mutex_);
    ++blocked_;
  }
  cv_.notify_all();
}

void Session::block_end() {
  std::lock_guard lock(mutex_);
  --blocked_;
}

bool Session::mark_idle(uint64_t results_seen) {
  {
    std::lock_guard lock(mutex_);
    if (results_seen != delivered_) return false;
    idle_ = trust_idle_ = true;
  }
  cv_.notify_all();
  return true;
}

void Session::wait_for_room(size_t limit) {
  block_begin();
  std::unique_lock lock(mutex_);
  const bool room = app_cv_.wait_for(lock, options_.timeout,
                                     [&] { return waiting_ < limit || fatal_ || closing_; });
  --blocked_;
  if (!room)
    throw RuntimeError(RuntimeErrorKind::kTimeout, "timed out after " +
                                                       std::to_string(options_.timeout.count()) +
                                                       " ms waiting for room in the input queue");
}

void Session::wait_idle() {
  block_begin();
  std::unique_lock lock(mutex_);
  const bool idle =
      app_cv_.wait_for(lock, options_.timeout, [&] { return finished_ == next_id_ || stopped_; });
  --blocked_;
  if (!idle)
    throw RuntimeError(RuntimeErrorKind::kTimeout,
                       "timed out after " + std::to_string(options_.timeout.count()) + " ms with " +
                           std::to_string(next_id_ - finished_) + " request(s) unfinished");
}

SessionStats Session::stats() {
  SessionStats s;
  {
    std::lock_guard lock(mutex_);
    s = stats_;
  }
  s.pes = pe_counters();
  return s;
}

std::vector<PeUtilisation> Session::pe_counters() {
  std::vector<PeUtilisation> pes;
  for (const auto& lane : lanes_)
    for (int pe = 0; pe < int(counters_at_start_.size()); ++pe) {
      if (!(lane->pe_mask() & (1u << pe))) continue;
      const driver::Counters now = device_->counters(pe);
      // A reset clears the counters: then they count from the reset.
      const driver::Counters at =
          now.cycles >= counters_at_start_[pe].cycles ? counters_at_start_[pe] : driver::Counters{};
      PeUtilisation u;
      static_cast<driver::Counters&>(u) = now - at;
      u.pe = "npu0pe" + std::to_string(pe);
      pes.push_back(u);
    }
  return pes;
}

// ---- dispatcher ---------------------------------------------------------

void Session::loop() {
  try {
    for (;;) {
      take_intake();
      {
        std::lock_guard lock(mutex_);
        if (closing_ && intake_.empty() && pending_.empty() && in_flight_.empty()) break;
      }
      loop_body();
    }
  } catch (const std::exception& e) {
    spdlog::error("runtime: {}", e.what());
    fail_all(e.what());
  }
  std::lock_guard lock(mutex_);
  stopped_ = true;
  app_cv_.notify_all();
}

void Session::loop_body() {
  admit();
  on_host_phase_ends();
  std::unique_lock lock(mutex_);
  if (in_flight_.empty()) {
    cv_.wait_for(lock, std::chrono::milliseconds(100),
                 [&] { return !intake_.empty() || closing_; });
    return;
  }
  if (!may_advance()) {
    const auto grace = trust_idle_ ? options_.timeout : kGrace;
    const bool woke = cv_.wait_for(lock, grace, [&] { return !intake_.empty() || may_advance(); });
    if (woke) return;
  }
  lock.unlock();
  advance();
  on_device_events();
  on_host_phase_ends();
}

bool Session::may_advance() const {
  return in_flight_.size() >= size_t(options_.worker_num) || blocked_ > 0 || idle_ || closing_;
}

void Session::take_intake() {
  std::lock_guard lock(mutex_);
  while (!intake_.empty()) {
    pending_.push_back(std::move(intake_.front()));
    intake_.pop_front();
  }
}

void Session::admit() {
  const uint64_t now = now_;
  while (in_flight_.size() < size_t(options_.worker_num) && !pending_.empty()) {
    std::unique_ptr<Request> r = std::move(pending_.front());
    pending_.pop_front();
    {
      std::lock_guard lock(mutex_);
      --waiting_;
    }
    app_cv_.notify_all();
    // The lane with the fewest requests in flight (the first of equals).
    std::vector<int> load(lanes_.size(), 0);
    for (const auto& [id, other] : in_flight_) ++load[other->lane];
    r->lane = int(std::min_element(load.begin(), load.end()) - load.begin());
    r->slot = lanes_[r->lane]->acquire_slot();
    r->timing.device = lanes_[r->lane]->name();
    r->timing.start_ps = now;
    Request& ref = *r;
    in_flight_[r->id] = std::move(r);
    start_host_phase(ref, now);
  }
}

void Session::advance() {
  const uint64_t now = now_;
  uint64_t next_host = kNever;
  bool device_busy = false;
  for (const auto& [id, r] : in_flight_) {
    if (r->phase == Phase::kHost) next_host = std::min(next_host, r->phase_end);
    device_busy = device_busy || r->phase == Phase::kDevice;
  }
  if (next_host <= now) return;
  if (!device_busy) {
    device_->run_until(next_host, options_.timeout);
    now_ = device_->now_ps();
    return;
  }
  const uint64_t deadline = next_host != kNever ? next_host : now + kStallPs;
  const bool interrupt = device_->run_until(deadline, options_.timeout);
  now_ = device_->now_ps();
  if (!interrupt && next_host == kNever)
    throw RuntimeError(RuntimeErrorKind::kDevice,
                       "the device completed nothing for 10 s of simulated time");
}

void Session::on_device_events() {
  std::vector<uint64_t> ids;
  for (const auto& [id, r] : in_flight_)
    if (r->phase == Phase::kDevice) ids.push_back(id);
  const uint64_t now = now_;
  for (uint64_t id : ids) {
    auto it = in_flight_.find(id);
    if (it == in_flight_.end()) continue;
    Request& r = *it->second;
    DeviceLane& lane = *lanes_[r.lane];
    if (r.phase != Phase::kDevice) continue;
    if (lane.dropped(r.tickets)) {  // a reset (ours or another session's) dropped the work
      submit_device(r);
      continue;
    }
    if (!lane.finished(r.tickets)) continue;
    LaneTiming t;
    std::exception_ptr fault;
    try {
      t = lane.collect(r.tickets);
    } catch (const driver::DriverError&) {
      fault = std::current_exception();
    }
    if (fault) {  // handled outside the catch block: see finish()
      recover_from_fault(r, std::move(fault));
      continue;
    }
    r.timing.h2d_ps += t.h2d_end - t.h2d_start;
    r.timing.compute_ps += t.run_end - t.run_start;
    r.timing.d2h_ps += t.d2h_end - t.d2h_start;
    r.timing.device_ps += now - r.device_start;
    const std::string tag = "request " + std::to_string(r.id);
    if (t.h2d_end > t.h2d_start) record(lane.name() + " h2d", tag, t.h2d_start, t.h2d_end, r.id);
    record(lane.name() + " run", tag, t.run_start, t.run_end, r.id);
    record(lane.name() + " d2h", tag, t.d2h_start, t.d2h_end, r.id);
    if (tracer_) {
      auto events = tracer_->collect(r.id, r.npu_segment, lane.pe_mask(), t.run_start, t.run_end);
      std::lock_guard lock(mutex_);
      stats_.layer_events.insert(stats_.layer_events.end(), events.begin(), events.end());
      stats_.trace_records_lost = tracer_->lost();
    }
    r.outputs_on_device = true;
    start_host_phase(r, now);
  }
}

void Session::on_host_phase_ends() {
  const uint64_t now = now_;
  std::vector<std::pair<uint64_t, uint64_t>> due;  // (end, id): in time order
  for (const auto& [id, r] : in_flight_)
    if (r->phase == Phase::kHost && r->phase_end <= now) due.emplace_back(r->phase_end, id);
  std::sort(due.begin(), due.end());
  for (const auto& [end, id] : due) {
    Request& r = *in_flight_.at(id);
    if (r.error)
      finish(r, r.error);
    else if (r.to_device)
      submit_device(r);
    else
      finish(r, nullptr);
  }
}

void Session::start_host_phase(Request& r, uint64_t ready_ps) {
  r.phase = Phase::kHost;
  uint64_t cost = 0;
  try {
    cost = run_host_work(r);
  } catch (...) {
    r.error = std::current_exception();
  }
  const auto lane = std::min_element(host_lane_free_.begin(), host_lane_free_.end());
  const uint64_t start = std::max(ready_ps, *lane);
  r.phase_end = start + cost;
  *lane = r.phase_end;
  r.timing.host_ps += cost;
  r.timing.host_wait_ps += start - ready_ps;
  record("host " + std::to_string(lane - host_lane_free_.begin()),
         "request " + std::to_string(r.id), start, r.phase_end, r.id);
}

// Runs the request's host work up to its next NPU segment (or its end) and
// returns its duration on the timeline.
uint64_t Session::run_host_work(Request& r) {
  const isa::Program& program = model_->program();
  uint64_t ps = 0;
  if (r.outputs_on_device) ps += unstage_npu_outputs(r);
  if (!r.started) {
    r.started = true;
    ps += host_ns_to_ps(host_.request_ns);
    if (options_.preprocess) {
      const auto t0 = std::chrono::steady_clock::now();
      options_.preprocess.run(r.inputs);
      ps += options_.preprocess.cost_ns < 0 ? wall_ps_since(t0)
                                            : host_ns_to_ps(options_.preprocess.cost_ns);
      check_inputs(r.inputs);
    }
    for (size_t i = 0; i < r.inputs.size(); ++i)
      r.env[model_->inputs()[i].name] = std::move(r.inputs[i]);
    r.inputs.clear();
  }
  r.to_device = false;
  while (r.next < program.segments.size()) {
    const size_t index = r.next++;
    if (std::holds_alternative<isa::CpuSegment>(program.segments[index])) {
      ps += run_cpu_segment(r, index);
      drop_dead_values(r, index);
      continue;
    }
    ps += stage_npu_inputs(r, index);
    drop_dead_values(r, index);
    r.npu_segment = index;
    r.to_device = true;
    return ps;
  }
  std::vector<std::string> names = r.wanted;
  if (names.empty())
    for (const auto& out : model_->outputs()) names.push_back(out.name);
  // Moved out of env (cleared next), copied only for a name asked for again later.
  for (size_t i = 0; i < names.size(); ++i) {
    Tensor& value = r.env.at(names[i]);
    const bool again = std::find(names.begin() + i + 1, names.end(), names[i]) != names.end();
    r.outputs.push_back(again ? value : std::move(value));
  }
  r.env.clear();
  if (options_.postprocess) {
    const auto t0 = std::chrono::steady_clock::now();
    options_.postprocess.run(r.outputs);
    ps += options_.postprocess.cost_ns < 0 ? wall_ps_since(t0)
                                           : host_ns_to_ps(options_.postprocess.cost_ns);
  }
  return ps;
}

uint64_t Session::run_cpu_segment(Request& r, size_t index) {
  const auto& seg = std::get<isa::CpuSegment>(model_->program().segments[index]);
  const auto t0 = std::chrono::steady_clock::now();
  if (boundary_[index] && boundary_[index]->accepts(r.env)) {
    boundary_[index]->run(r.env);  // quantise/dequantise only: tight loops, same bits
  } else {
    compiler::TensorMap inputs;
    for (const auto& name : seg.inputs) inputs[name] = r.env.at(name);
    const int batch = model_->program().batch;
    compiler::TensorMap outputs = images_per_run_[index] == 1 && batch > 1
                                      ? execute_per_image(model_->cpu_graph(index), inputs, batch)
                                      : compiler::execute(model_->cpu_graph(index), inputs);
    for (auto& [name, value] : outputs) r.env[name] = std::move(value);
  }
  const uint64_t measured = wall_ps_since(t0);
  const uint64_t ps = host_.measured ? measured : host_ns_to_ps(cpu_segment_ns_[index]);
  r.timing.cpu_ps += ps;
  return ps;
}

void Session::drop_dead_values(Request& r, size_t index) {
  std::visit(
      [&](const auto& seg) {
        for (const auto& name : seg.inputs)
          if (last_use_.at(name) == index) r.env.erase(name);
      },
      model_->program().segments[index]);
}

uint64_t Session::stage_npu_inputs(Request& r, size_t index) {
  const PlacedSegment& seg = placed_->segment(index);
  std::vector<uint8_t>& area = lanes_[r.lane]->staging(index, r.slot);
  const auto t0 = std::chrono::steady_clock::now();
  uint64_t bytes = 0;
  for (const isa::TensorInfo& t : seg.inputs) {
    stage_in(r.env.at(t.name), t, area);
    bytes += t.bytes();
  }
  const uint64_t measured = wall_ps_since(t0);
  // The driver's share: H2D and D2H per tensor, RUN, and two WAIT_QUEUEs.
  const double driver_ns = double(seg.inputs.size() + seg.outputs.size() + 3) * host_.command_ns;
  if (host_.measured) return measured + host_ns_to_ps(driver_ns);
  return host_ns_to_ps(double(bytes) * host_.copy_ns_per_byte + driver_ns);
}

uint64_t Session::unstage_npu_outputs(Request& r) {
  const PlacedSegment& seg = placed_->segment(r.npu_segment);
  const std::vector<uint8_t>& area = lanes_[r.lane]->staging(r.npu_segment, r.slot);
  const auto t0 = std::chrono::steady_clock::now();
  uint64_t bytes = 0;
  for (const isa::TensorInfo& t : seg.outputs) {
    r.env[t.name] = stage_out(t, area);
    bytes += t.bytes();
  }
  r.outputs_on_device = false;
  return host_.measured ? wall_ps_since(t0) : host_ns_to_ps(double(bytes) * host_.copy_ns_per_byte);
}

void Session::submit_device(Request& r) {
  r.phase = Phase::kDevice;
  r.device_start = now_;
  r.tickets = lanes_[r.lane]->submit(r.npu_segment, r.slot, inject_word(r));
}

// The fault this submission of `r` carries (RunnerOptions::inject), or 0.
// A submission re-sent after another request's fault reset the device
// carries the same decision: its own fault has not fired yet.
uint64_t Session::inject_word(const Request& r) const {
  return options_.inject.hits(r.id, r.attempts) ? isa::reg::inject_word(options_.inject.kind) : 0;
}

void Session::recover_from_fault(Request& failed, std::exception_ptr error) {
  std::string what = "device error";
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    what = e.what();
  }
  // Injected faults are expected: logged at info, not as warnings per fault.
  spdlog::log(options_.inject ? spdlog::level::info : spdlog::level::warn,
              "runtime: request {} failed ({}); resetting the device", failed.id, what);
  device_->reset();
  placed_->reload();
  const bool retry = failed.attempts < options_.retries;
  {
    std::lock_guard lock(mutex_);
    ++stats_.device_resets;
    if (retry) ++stats_.retried;
  }
  if (retry) {  // its inputs are still in its staging buffer: send the work again
    ++failed.attempts;
    submit_device(failed);
    return;
  }
  finish(failed,
         device_error("request " + std::to_string(failed.id) + " on " + failed.timing.device +
                      " failed: " + what + " (the device was reset; other requests go on)"));
}

void Session::finish(Request& r, std::exception_ptr error) {
  r.timing.end_ps = std::max(r.phase_end, now_);
  if (r.slot >= 0) lanes_[r.lane]->release_slot(r.slot);
  Result result{std::move(r.outputs), r.timing};
  {
    std::lock_guard lock(mutex_);
    ++stats_.requests;
    if (error) ++stats_.failed;
    if (!error && r.attempts > 0) ++stats_.recovered;
    if (stats_.requests == 1 || r.timing.start_ps < stats_.first_start_ps)
      stats_.first_start_ps = r.timing.start_ps;
    stats_.last_end_ps = std::max(stats_.last_end_ps, r.timing.end_ps);
    if (options_.keep_history) stats_.timings.push_back(r.timing);
    // The application is about to see a result: it is not idle any more,
    // and a mark it made before seeing it is refused (mark_idle).
    ++delivered_;
    idle_ = false;
  }
  Done done = std::move(r.done);
  in_flight_.erase(r.id);  // r is gone from here on
  // The error is moved, never copied, into the callback: this thread then holds
  // no reference to the exception the application thread reads. (libstdc++
  // counts exception_ptr references in uninstrumented code, so ThreadSanitizer
  // cannot see that a release here is ordered after the reader's.)
  try {
    done(std::move(result), std::move(error));
  } catch (const std::exception& e) {
    spdlog::error("runtime: a result callback threw: {}", e.what());
  }
  {
    std::lock_guard lock(mutex_);
    ++finished_;
  }
  app_cv_.notify_all();
}

void Session::fail_all(const std::string& why) {
  // One exception per request, so no two threads share one (see finish()).
  const std::string message = "runtime stopped: " + why;
  const auto stopped = [&message] { return device_error(message); };
  {
    std::lock_guard lock(mutex_);
    fatal_ = message;
    while (!intake_.empty()) {
      pending_.push_back(std::move(intake_.front()));
      intake_.pop_front();
    }
  }
  std::vector<uint64_t> ids;
  for (const auto& [id, r] : in_flight_) ids.push_back(id);
  for (uint64_t id : ids) finish(*in_flight_.at(id), stopped());
  while (!pending_.empty()) {
    std::unique_ptr<Request> r = std::move(pending_.front());
    pending_.pop_front();
    r->lane = -1;
    r->slot = -1;
    Request& ref = *r;
    in_flight_[r->id] = std::move(r);
    finish(ref, stopped());
  }
}

void Session::record(const std::string& lane, const std::string& name, uint64_t start, uint64_t end,
                     uint64_t request) {
  if (!options_.keep_history) return;
  std::lock_guard lock(mutex_);
  stats_.timeline.push_back({lane, name, start, end, request});
}

}  // namespace npusim::runtime
