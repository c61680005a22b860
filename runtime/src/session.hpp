// A runner's session: the device lanes of its device list, the model placed
// in device memory, host lanes, and the dispatcher thread that owns all of
// them and drives simulated time.
//
// Time (docs/runtime.md): each request moves through host phases (input
// checks, CPU segments, staging, the application's stages; placed on the
// earliest free host lane for a duration from the HostCostModel) and device
// phases (H2D, RUN, D2H on its lane's queues). The dispatcher advances the
// simulated device to the next host-phase end or device interrupt, but only
// while every worker is busy or the application waits on the runtime:
// otherwise a request the application is about to submit could arrive "in
// the past". That keeps the timeline reproducible when one thread drives it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "boundary_segment.hpp"
#include "device_lane.hpp"
#include "layer_tracer.hpp"
#include "npusim/compiler/executor.hpp"
#include "npusim/runtime/runner.hpp"
#include "placed_program.hpp"

namespace npusim::runtime {

class Session {
 public:
  using Done = std::function<void(Result, std::exception_ptr)>;

  Session(std::shared_ptr<const Model> model, RunnerOptions options);
  ~Session();  // close(): finishes every request, then stops

  const Model& model() const { return *model_; }
  const RunnerOptions& options() const { return options_; }

  // Checks the inputs (throws RuntimeError kInvalidInput) and queues the
  // request; `wanted` output names (empty: all). Thread-safe.
  void enqueue(std::vector<Tensor> inputs, std::vector<std::string> wanted, Done done);
  // Several requests at once: the dispatcher sees all of them before
  // simulated time moves (AsyncRunner::run_async_all). Thread-safe.
  void enqueue_all(std::vector<std::vector<Tensor>> inputs, const std::function<Done()>& done);
  // Blocks while `limit` or more requests wait for a worker (kTimeout).
  void wait_for_room(size_t limit);
  // Blocks until every request enqueued so far has finished.
  void wait_idle();
  // Marks an application thread as waiting on the runtime (see above).
  void block_begin();
  void block_end();
  // The application (an event loop taking results by callback) has nothing
  // to do until the next result: time may advance. Refused (false) unless
  // `results_seen` equals the results delivered so far (one may be on its
  // way to the application). Cleared when a result is delivered or a
  // request submitted. Once accepted, the session trusts it: it no longer
  // moves on after kGrace of wall time without it.
  bool mark_idle(uint64_t results_seen);
  SessionStats stats();
  // The PEs' counters over the session (stats().pes without the rest).
  std::vector<PeUtilisation> pe_counters();
  void close();

 private:
  struct Request;
  enum class Phase { kHost, kDevice };

  std::unique_ptr<Request> make_request(std::vector<Tensor> inputs, std::vector<std::string> wanted,
                                        Done done);
  void push_requests(std::vector<std::unique_ptr<Request>> requests);
  void loop();
  void loop_body();
  bool may_advance() const;
  void take_intake();
  void admit();
  void advance();
  void on_device_events();
  void on_host_phase_ends();
  void start_host_phase(Request& r, uint64_t ready_ps);
  uint64_t run_host_work(Request& r);
  uint64_t run_cpu_segment(Request& r, size_t index);
  uint64_t stage_npu_inputs(Request& r, size_t index);
  // Frees the values segment `index` was the last to read (not the outputs).
  void drop_dead_values(Request& r, size_t index);
  uint64_t unstage_npu_outputs(Request& r);
  void submit_device(Request& r);
  uint64_t inject_word(const Request& r) const;
  void recover_from_fault(Request& failed, std::exception_ptr error);
  void finish(Request& r, std::exception_ptr error);
  void fail_all(const std::string& why);
  uint64_t host_ns_to_ps(double ns) const { return static_cast<uint64_t>(ns * 1000.0); }
  void record(const std::string& lane, const std::string& name, uint64_t start, uint64_t end,
              uint64_t request);
  void check_inputs(const std::vector<Tensor>& inputs) const;

  std::shared_ptr<const Model> model_;
  RunnerOptions options_;
  HostCostModel host_;
  std::shared_ptr<driver::Device> device_;
  std::unique_ptr<PlacedProgram> placed_;
  std::vector<std::unique_ptr<DeviceLane>> lanes_;
  std::unique_ptr<LayerTracer> tracer_;   // with RunnerOptions::device_trace
  std::vector<uint64_t> host_lane_free_;  // ps at which each host lane is free
  // Simulated time as of the last advance: only run_until moves it, so the
  // dispatcher reads it once there instead of asking the device each time.
  uint64_t now_ = 0;
  std::vector<double> cpu_segment_ns_;   // per program segment (CPU ones), from the cost model
  std::vector<int64_t> images_per_run_;  // per CPU segment: images it takes at once
  // The last segment that reads each value (the outputs: past the last one).
  std::map<std::string, size_t> last_use_;
  // Per program segment: the tight-loop form of a quantise/dequantise-only CPU segment.
  std::vector<std::optional<BoundarySegment>> boundary_;
  std::vector<driver::Counters> counters_at_start_;

  // Dispatcher-thread state.
  std::map<uint64_t, std::unique_ptr<Request>> in_flight_;
  std::deque<std::unique_ptr<Request>> pending_;

  // Shared with application threads (guarded by mutex_).
  mutable std::mutex mutex_;
  std::condition_variable cv_;      // dispatcher: new work / blocked application
  std::condition_variable app_cv_;  // application: room in the queue, requests finished
  std::deque<std::unique_ptr<Request>> intake_;
  uint64_t next_id_ = 0, finished_ = 0, waiting_ = 0;
  int blocked_ = 0;
  bool idle_ = false, trust_idle_ = false;  // mark_idle()
  uint64_t delivered_ = 0;                  // results handed to `done` callbacks
  bool closing_ = false, stopped_ = false;
  std::optional<std::string> fatal_;  // why the session stopped, once it has
  SessionStats stats_;

  std::thread thread_;
};

}  // namespace npusim::runtime
