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
  explicit State(const std::shared_ptr<Session>& s) : session(s) {}

  std::weak_ptr<Session> session;  // for marking the waiting thread as blocked
  std::mutex mutex;
  std::condition_variable cv;
  bool done = false;
  Result result;
  std::exception_ptr error;

  void fulfil(Result r, std::exception_ptr e) {
    {
      std::lock_guard lock(mutex);
      result = std::move(r);
      error = std::move(e);
      done = true;
    }
    cv.notify_all();
  }
};

}  // namespace npusim::runtime
