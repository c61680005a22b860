// The shared state behind a Future.
#pragma once

#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>

#include "npusim/runtime/runner.hpp"
#include "session.hpp"

namespace npusim::runtime {

struct Future::State {
  explicit State(const std::shared_ptr<Session>& s) : session(s), owner(s.get()) {}

  std::weak_ptr<Session> session;  // for marking the waiting thread as blocked
  // The session whose dispatcher fulfils this state: alive whenever fulfil runs.
  Session* owner = nullptr;
  std::mutex mutex;
  std::condition_variable cv;
  bool done = false;
  bool waiter_blocked = false;  // a get() counts as blocked on the session
  Result result;
  std::exception_ptr error;

  // On the dispatcher thread. A thread waiting in get() stops counting as
  // blocked here, when its result is in, not when the OS next runs it: the
  // dispatcher then waits for that thread's next move (a submission, another
  // wait) instead of racing it, so simulated time does not depend on how
  // quickly the waiting thread is scheduled.
  void fulfil(Result r, std::exception_ptr e) {
    bool release = false;
    {
      std::lock_guard lock(mutex);
      result = std::move(r);
      error = std::move(e);
      done = true;
      release = waiter_blocked;
      waiter_blocked = false;
    }
    cv.notify_all();
    if (release) owner->block_end();
  }
};

}  // namespace npusim::runtime
