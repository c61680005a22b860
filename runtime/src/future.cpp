// Future: a pending result, fulfilled on the dispatcher thread.
#include <condition_variable>
#include <mutex>

#include "future_state.hpp"

namespace npusim::runtime {

bool Future::ready() const {
  if (!state_) return false;
  std::lock_guard lock(state_->mutex);
  return state_->done;
}

Result Future::get() {
  return get(timeout_);
}

Result Future::get(std::chrono::milliseconds timeout) {
  if (!state_) throw RuntimeError(RuntimeErrorKind::kInvalidInput, "get() on an empty Future");
  std::shared_ptr<State> s = std::move(state_);                // get() once
  const std::shared_ptr<Session> session = s->session.lock();  // gone: every result is in
  if (session) session->block_begin();
  std::unique_lock lock(s->mutex);
  const bool done = s->cv.wait_for(lock, timeout, [&] { return s->done; });
  lock.unlock();
  if (session) session->block_end();
  if (!done)
    throw RuntimeError(
        RuntimeErrorKind::kTimeout,
        "timed out after " + std::to_string(timeout.count()) + " ms waiting for a result");
  if (s->error) std::rethrow_exception(s->error);
  return std::move(s->result);
}

}  // namespace npusim::runtime
