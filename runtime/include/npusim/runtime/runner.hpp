// Runners: the application's entry to running a model on the device.
//   Runner       run(inputs) blocks until the outputs are there.
//   AsyncRunner  run_async(inputs) returns a Future (or calls back);
//                `worker_num` requests are in flight at once.
//   create_queue submit(inputs, context) / recv(timeout) -> (context, result),
//                results possibly out of order.
// All of them share one session per runner: the device contexts, the model
// placed in device memory, host lanes and the dispatcher thread that drives
// simulated time (docs/runtime.md).
#pragma once

#include <any>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "npusim/isa/transport.hpp"
#include "npusim/runtime/errors.hpp"
#include "npusim/runtime/fault_injection.hpp"
#include "npusim/runtime/host_cost.hpp"
#include "npusim/runtime/model.hpp"
#include "npusim/runtime/request.hpp"
#include "npusim/runtime/session_stats.hpp"

namespace npusim::runtime {

class Session;

struct RunnerOptions {
  // The device: the in-process simulator (sim::in_process_device) or
  // another isa::Transport. Required.
  std::shared_ptr<isa::Transport> transport;
  // "npu0pe0", "npu0pe0-1", "npu0pe0,npu0pe1", ...; "" = $NPUSIM_DEVICES,
  // else npu0pe0 (npu0pe0-1 for a fused program).
  std::string devices;
  int worker_num = 1;                         // requests in flight
  std::optional<HostCostModel> host;          // default: HostCostModel::from(the program's hw)
  HostStage preprocess, postprocess;          // optional application stages per request
  std::chrono::milliseconds timeout{60'000};  // wall clock, for every wait
  // Queue only: submit() blocks while this many requests wait for a worker.
  size_t input_queue_size = 16;
  // Records every device instruction through the device's trace ring and
  // adds per-layer events to stats().layer_events (profilers; no effect on
  // simulated time).
  bool device_trace = false;
  // Keeps every request's timing and timeline events in stats() (traces,
  // per-request tables). Off, stats() keeps only the counts, the span and
  // the PE counters, so memory stays flat however many requests run
  // (npusim bench without -T).
  bool keep_history = true;
  // Faults to inject (docs/faults.md); none by default.
  FaultInjection inject;
  // A request whose device work faults is run again (after the device is
  // reset) up to this many times before it fails; stats() counts retried and
  // recovered requests.
  int retries = 0;
};

// A pending result.
class Future {
 public:
  Future() = default;
  bool valid() const { return static_cast<bool>(state_); }
  bool ready() const;
  // Waits (wall-clock timeout: kTimeout) and returns the result, or throws
  // the request's error. Call once.
  Result get();
  Result get(std::chrono::milliseconds timeout);

  struct State;
  explicit Future(std::shared_ptr<State> s, std::chrono::milliseconds timeout)
      : state_(std::move(s)), timeout_(timeout) {}

 private:
  std::shared_ptr<State> state_;
  std::chrono::milliseconds timeout_{60'000};
};

class Runner {
 public:
  Runner(std::shared_ptr<const Model> model, RunnerOptions options);
  ~Runner();
  Runner(Runner&&) noexcept;

  const Model& model() const;
  // Inputs in the model's input order. Throws RuntimeError.
  std::vector<Tensor> run(const std::vector<Tensor>& inputs);
  // Named inputs; returns the outputs asked for (all if empty), by name.
  std::vector<std::pair<std::string, Tensor>> run_with(
      const std::vector<std::string>& output_names,
      const std::vector<std::pair<std::string, Tensor>>& inputs);
  const RequestTiming& last_timing() const { return last_; }
  SessionStats stats() const;
  void close();

 private:
  std::shared_ptr<Session> session_;
  RequestTiming last_;
};

class AsyncRunner {
 public:
  AsyncRunner(std::shared_ptr<const Model> model, RunnerOptions options);
  ~AsyncRunner();

  const Model& model() const;
  Future run_async(std::vector<Tensor> inputs);
  // Submits every request at once, so that the dispatcher has them all
  // before simulated time moves: the timeline then does not depend on how
  // fast the calling thread runs (between run_async calls the dispatcher
  // waits only a 20 ms wall-clock grace). Futures in the order of `inputs`.
  std::vector<Future> run_async_all(std::vector<std::vector<Tensor>> inputs);
  // The callback runs on the runtime's dispatcher thread: it must not block
  // on this runner. `error` is set when the request failed.
  void run_async(std::vector<Tensor> inputs,
                 std::function<void(Result result, std::exception_ptr error)> callback);
  // Every request at once (as above), each calling back `callback`.
  void run_async_all(std::vector<std::vector<Tensor>> inputs,
                     const std::function<void(Result result, std::exception_ptr error)>& callback);
  // Blocks until every request submitted so far has finished.
  void wait_all();
  // For applications that take results by callback on an event loop (the
  // Python package's asyncio runner): says the application has nothing to do
  // until the next result, so simulated time may advance although fewer than
  // worker_num requests are in flight. `results_seen`: the results of this
  // runner the application has taken so far; while another is on its way
  // to it the mark is refused (returns false). Cleared by the next
  // submission or delivered result. Without it the dispatcher waits for a
  // submission (or 20 ms of wall time) first; with it, the timeline no longer
  // depends on how fast the application reacts (docs/runtime.md, "Time").
  bool mark_idle(uint64_t results_seen);
  SessionStats stats() const;
  // The PEs' counters over the session: stats().pes, without copying the
  // timeline (cheap enough to read around every request).
  std::vector<PeUtilisation> pe_counters() const;
  void close();

 private:
  std::shared_ptr<Session> session_;
};

class Receiver;
class Submitter {
 public:
  // Blocks while the input queue is full (kTimeout after the timeout).
  void submit(std::vector<Tensor> inputs, std::any context = {});
  void close();  // no more requests: recv() ends once the last result is taken
  const Model& model() const;

  struct Shared;  // the queue's state, shared with the Receiver

 private:
  friend std::pair<Submitter, Receiver> create_queue(std::shared_ptr<const Model>, RunnerOptions);
  std::shared_ptr<Session> session_;  // only application threads own the session
  std::shared_ptr<Shared> shared_;
};

class Receiver {
 public:
  // The next finished request (context, result); std::nullopt once the
  // submitter closed and every result was taken. Throws kTimeout when
  // nothing arrives in time; a failed request's result rethrows its error
  // from `recv` with the context attached (QueueError).
  std::optional<std::pair<std::any, Result>> recv(std::chrono::milliseconds timeout);
  std::optional<std::pair<std::any, Result>> recv();  // the runner's timeout
  SessionStats stats() const;

 private:
  friend std::pair<Submitter, Receiver> create_queue(std::shared_ptr<const Model>, RunnerOptions);
  std::shared_ptr<Session> session_;
  std::shared_ptr<Submitter::Shared> shared_;
};

// A failed request received from a queue: the error and the request's context.
class QueueError : public RuntimeError {
 public:
  QueueError(const RuntimeError& e, std::any context)
      : RuntimeError(e), context_(std::move(context)) {}
  const std::any& context() const { return context_; }

 private:
  std::any context_;
};

std::pair<Submitter, Receiver> create_queue(std::shared_ptr<const Model> model,
                                            RunnerOptions options);

}  // namespace npusim::runtime
