#include "runner_comparison.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <iomanip>
#include <mutex>
#include <ostream>
#include <thread>

#include "npusim/runtime/device_list.hpp"
#include "npusim/runtime/runner.hpp"
#include "npusim/sim/in_process_device.hpp"

namespace npusim::cli {
namespace {

using Clock = std::chrono::steady_clock;

// Frames done of one runner, on the progress stream.
class Progress {
 public:
  Progress(std::ostream& out, bool terminal, std::string label, int total)
      : out_(out), terminal_(terminal), label_(std::move(label)), total_(total) {}
  void done(int n) {
    const double s = std::chrono::duration<double>(Clock::now() - start_).count();
    const int tenth = total_ ? 10 * n / total_ : 10;
    if (terminal_) {
      if (n < total_ && s - shown_ < 0.2) return;
      shown_ = s;
      out_ << "\r" << label_ << ": " << n << "/" << total_ << " frames, " << std::fixed
           << std::setprecision(0) << s << " s" << (n == total_ ? "\n" : "") << std::flush;
    } else if (tenth > last_tenth_ || n == total_) {
      last_tenth_ = tenth;
      out_ << label_ << ": " << n << "/" << total_ << " frames, " << std::fixed
           << std::setprecision(0) << s << " s\n"
           << std::flush;
    }
  }

 private:
  std::ostream& out_;
  bool terminal_;
  std::string label_;
  int total_, last_tenth_ = 0;
  double shown_ = -1;
  Clock::time_point start_ = Clock::now();
};

struct Outcome {
  std::string name;
  runtime::SessionStats stats;
};

struct Experiment {
  const RunnerComparison& c;
  std::shared_ptr<const runtime::Model> model;
  std::string devices;
  std::ostream& progress;
  bool terminal;

  int host_cores() const { return c.host_cores > 0 ? c.host_cores : c.hw.host_cores; }

  runtime::RunnerOptions options(int workers) const {
    runtime::RunnerOptions o;
    o.transport = sim::in_process_device({c.hw, !c.arithmetic});
    o.devices = devices;
    o.worker_num = workers;
    runtime::HostCostModel host = runtime::HostCostModel::from(c.hw);
    host.cores = host_cores();
    o.host = host;
    o.preprocess = {"preprocess", [](std::vector<runtime::Tensor>&) {}, c.pre_us * 1000};
    o.postprocess = {"decode + NMS", [](std::vector<runtime::Tensor>&) {}, c.post_us * 1000};
    o.timeout = std::chrono::minutes(10);
    return o;
  }

  std::vector<runtime::Tensor> inputs() const {
    std::vector<runtime::Tensor> in;
    for (const auto& d : model->inputs()) in.emplace_back(d.dtype, d.shape);
    return in;
  }

  Progress progress_of(const std::string& runner) const {
    return Progress(progress, terminal, devices + " " + runner, c.frames);
  }

  Outcome sync() const {
    runtime::Runner r(model, options(1));
    const auto in = inputs();
    Progress p = progress_of("sync");
    for (int i = 0; i < c.frames; ++i) {
      r.run(in);
      p.done(i + 1);
    }
    return {"sync", r.stats()};
  }

  Outcome async() const {
    const std::string name = "async x" + std::to_string(c.workers);
    runtime::AsyncRunner r(model, options(c.workers));
    const auto in = inputs();
    // At most `window` frames outstanding: the oldest result is taken (and
    // dropped) before another frame goes in, so memory stays flat however many
    // frames run. The window keeps frames waiting ahead of the workers, so the
    // timeline is the one of submitting every frame at once. The first window
    // goes in at once (run_async_all), later inputs are copied before they are
    // due, so that submitting one takes microseconds: the runtime moves on
    // without frames it has waited 20 ms for.
    const size_t window = std::min(2 * size_t(c.workers), size_t(c.frames));
    std::vector<runtime::Future> started =
        r.run_async_all(std::vector<std::vector<runtime::Tensor>>(window, in));
    std::deque<runtime::Future> pending(std::make_move_iterator(started.begin()),
                                        std::make_move_iterator(started.end()));
    Progress p = progress_of(name);
    int done = 0;
    for (size_t i = window; i < size_t(c.frames); ++i) {
      std::vector<runtime::Tensor> frame = in;
      pending.front().get();
      pending.pop_front();
      p.done(++done);
      pending.push_back(r.run_async(std::move(frame)));
    }
    for (; !pending.empty(); pending.pop_front()) {
      pending.front().get();
      p.done(++done);
    }
    return {name, r.stats()};
  }

  Outcome queue() const {
    const std::string name = "queue x" + std::to_string(c.workers);
    auto [submitter, receiver] = runtime::create_queue(model, options(c.workers));
    const auto in = inputs();
    // recv() lets the runtime advance simulated time with fewer frames than
    // workers in flight (it cannot know a producer thread is about to submit
    // more): the first results are asked for only once every worker has a
    // frame, so the timeline does not depend on how fast this thread runs.
    const int first_batch = std::min(c.frames, c.workers);
    std::mutex mutex;
    std::condition_variable started;
    int submitted = 0;
    std::thread producer([&, &s = submitter] {
      std::vector<std::vector<runtime::Tensor>> batch(first_batch, in);  // copied ahead
      for (int i = 0; i < c.frames; ++i) {
        s.submit(i < first_batch ? std::move(batch[i]) : in, i);
        std::lock_guard lock(mutex);
        if (++submitted == first_batch) started.notify_all();
      }
      s.close();
    });
    Progress p = progress_of(name);
    int received = 0;
    try {
      {
        std::unique_lock lock(mutex);
        started.wait(lock, [&] { return submitted >= first_batch; });
      }
      while (receiver.recv()) p.done(++received);
    } catch (...) {
      producer.join();
      throw;
    }
    producer.join();
    return {name, receiver.stats()};
  }
};

double ms(uint64_t ps) {
  return double(ps) / 1e9;
}

// One row: total simulated time, frames per second and its inverse (time
// per frame at that throughput), the mean latency of a frame from admission
// to result (longer than the time per frame when frames overlap), NPU%.
void print_row(std::ostream& out, const Outcome& o, int frames) {
  double util = 0;
  int pes = 0;
  for (const auto& pe : o.stats.pes)
    if (pe.cycles) util += pe.npu_percent(), ++pes;
  uint64_t latency = 0;
  for (const auto& t : o.stats.timings) latency += t.latency_ps();
  const double total = ms(o.stats.span_ps());
  out << std::fixed << std::setprecision(1) << "  " << std::left << std::setw(12) << o.name
      << std::right << std::setw(12) << total << std::setw(10) << frames / (total / 1000)
      << std::setprecision(3) << std::setw(12) << total / frames << std::setw(13)
      << ms(latency / std::max<uint64_t>(1, o.stats.timings.size())) << std::setprecision(1)
      << std::setw(8) << (pes ? util / pes : 0) << "\n";
}

void run_experiment(const Experiment& e, std::ostream& out) {
  const RunnerComparison& c = e.c;
  const Outcome sync = e.sync();
  const runtime::RequestTiming& t = sync.stats.timings.front();
  const double host = ms(t.host_ps), device = ms(t.device_ps);
  const int devices = int(runtime::parse_device_list(e.devices).size());
  // Async can overlap everything, but never more than `workers` frames,
  // each taking at least one sync frame's time; and each host lane, each
  // PE's compute and each direction of the host link (shared by every PE)
  // is a resource the frames queue for. The tightest of these bounds the total.
  const double host_bound = c.frames * host / e.host_cores();
  const double compute_bound = c.frames * ms(t.compute_ps) / devices;
  const double link_bound = c.frames * ms(std::max(t.h2d_ps, t.d2h_ps));
  const double worker_bound = c.frames * (host + device) / c.workers;
  out << std::fixed << "\n"
      << e.devices << ": one frame: host " << std::setprecision(3) << host << " ms (pre/post "
      << (c.pre_us + c.post_us) / 1000 << "), device " << device << " ms (H2D " << ms(t.h2d_ps)
      << ", compute " << ms(t.compute_ps) << ", D2H " << ms(t.d2h_ps) << ")\n"
      << std::setprecision(1)
      << "  sync  = frames x (host + device) = " << c.frames * (host + device) << " ms\n"
      << "  async >= max(frames x host / " << e.host_cores() << " host cores, frames x compute / "
      << devices << (devices == 1 ? " device" : " devices")
      << ", frames x max(H2D, D2H), frames x (host + device) / " << c.workers
      << " workers)\n        = max(" << host_bound << ", " << compute_bound << ", " << link_bound
      << ", " << worker_bound
      << ") = " << std::max({host_bound, compute_bound, link_bound, worker_bound}) << " ms\n"
      << "  runner        total ms       fps    ms/frame  latency ms    NPU%\n";
  print_row(out, sync, c.frames);
  print_row(out, e.async(), c.frames);
  print_row(out, e.queue(), c.frames);
}

std::shared_ptr<const runtime::Model> load(const RunnerComparison& c, const std::string& devices) {
  runtime::ModelOptions mo;
  mo.hw = c.hw;
  const auto list = runtime::parse_device_list(devices);
  mo.target = runtime::pe_mask_of(list.front()) == 3 ? isa::Mode::kFused : isa::Mode::kSingle;
  return runtime::Model::load(c.model, mo);
}

}  // namespace

void compare_runners(const RunnerComparison& c, std::ostream& out, std::ostream& progress,
                     bool progress_is_terminal) {
  out << "model      " << c.model << ", " << c.frames << " frames per runner, "
      << (c.arithmetic ? "with arithmetic" : "timing-only") << "\n"
      << "columns    total ms: simulated time of all frames; fps: frames / total; ms/frame: "
         "total / frames;\n"
      << "           latency ms: mean time of one frame from admission to result; NPU%: busy "
         "share of the PEs\n";
  for (const std::string& devices : {c.devices, c.compare}) {
    if (devices.empty()) continue;
    const Experiment e{c, load(c, devices), devices, progress, progress_is_terminal};
    run_experiment(e, out);
  }
}

}  // namespace npusim::cli
