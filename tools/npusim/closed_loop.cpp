#include "closed_loop.hpp"

#include <memory>
#include <mutex>

namespace npusim::cli {
namespace {

// Shared by the caller and every result callback. The mutex orders the
// callbacks (dispatcher thread) against the caller's first submissions and
// against its giving up: once `stopped`, no callback touches the caller's
// functions again.
struct Loop : std::enable_shared_from_this<Loop> {
  runtime::AsyncRunner& runner;
  const std::vector<runtime::Tensor>& inputs;
  std::function<bool()> more;
  std::function<void(runtime::Result, std::exception_ptr)> on_result;
  std::mutex mutex;
  uint64_t finished = 0;
  bool stopped = false;

  Loop(runtime::AsyncRunner& r, const std::vector<runtime::Tensor>& in, std::function<bool()> m,
       std::function<void(runtime::Result, std::exception_ptr)> f)
      : runner(r), inputs(in), more(std::move(m)), on_result(std::move(f)) {}

  bool want_another() {
    std::lock_guard lock(mutex);
    return !stopped && more();
  }

  // Calls on_result and submits the next request, if any.
  std::function<void(runtime::Result, std::exception_ptr)> callback() {
    return [self = shared_from_this()](runtime::Result r, std::exception_ptr e) {
      {
        std::lock_guard lock(self->mutex);
        if (self->stopped) return;
        self->on_result(std::move(r), std::move(e));
        ++self->finished;
      }
      if (self->want_another()) self->submit();
    };
  }

  void submit() { runner.run_async(inputs, callback()); }

  // The first window goes in together (AsyncRunner::run_async_all): the
  // timeline does not depend on how fast this thread submits.
  void submit_first(size_t in_flight) {
    size_t n = 0;
    while (n < in_flight && want_another()) ++n;
    if (n > 0)
      runner.run_async_all(std::vector<std::vector<runtime::Tensor>>(n, inputs), callback());
  }
};

}  // namespace

void run_closed_loop(runtime::AsyncRunner& runner, const std::vector<runtime::Tensor>& inputs,
                     size_t in_flight, const std::function<bool()>& more,
                     const std::function<void(runtime::Result, std::exception_ptr)>& on_result) {
  auto loop = std::make_shared<Loop>(runner, inputs, more, on_result);
  try {
    loop->submit_first(in_flight);
    // wait_all() gives up after the runner's timeout; a long run makes
    // progress between its waits, so wait again while requests finish.
    uint64_t seen = 0;
    for (;;) {
      try {
        runner.wait_all();
        return;
      } catch (const runtime::RuntimeError& e) {
        if (e.kind() != runtime::RuntimeErrorKind::kTimeout) throw;
        std::lock_guard lock(loop->mutex);
        if (loop->finished == seen) throw;  // nothing finished for a whole timeout
        seen = loop->finished;
      }
    }
  } catch (...) {
    std::lock_guard lock(loop->mutex);
    loop->stopped = true;
    throw;
  }
}

}  // namespace npusim::cli
