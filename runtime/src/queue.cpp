// create_queue: a submitter and a receiver sharing one session; results come
// back in the order they finish, each with the context it was submitted with.
#include <condition_variable>
#include <deque>
#include <mutex>

#include "npusim/runtime/runner.hpp"
#include "session.hpp"

namespace npusim::runtime {

struct Submitter::Shared {
  struct Item {
    std::any context;
    Result result;
    std::exception_ptr error;
  };
  size_t input_limit = 16;
  std::mutex mutex;
  std::condition_variable cv;
  std::deque<Item> results;
  uint64_t submitted = 0, received = 0;
  bool closed = false;
};

std::pair<Submitter, Receiver> create_queue(std::shared_ptr<const Model> model,
                                            RunnerOptions options) {
  auto shared = std::make_shared<Submitter::Shared>();
  shared->input_limit = std::max<size_t>(1, options.input_queue_size);
  auto session = std::make_shared<Session>(std::move(model), std::move(options));
  Submitter s;
  Receiver r;
  s.session_ = r.session_ = session;  // only application threads own the session
  s.shared_ = r.shared_ = shared;
  return {std::move(s), std::move(r)};
}

void Submitter::submit(std::vector<Tensor> inputs, std::any context) {
  Shared& q = *shared_;
  {
    std::lock_guard lock(q.mutex);
    if (q.closed) throw RuntimeError(RuntimeErrorKind::kClosed, "the queue's submitter is closed");
  }
  session_->wait_for_room(q.input_limit);
  // The callback holds the result queue, never the session: a session must
  // not be destroyed on its own dispatcher thread.
  std::weak_ptr<Shared> weak = shared_;  // results of a queue nobody holds any more are dropped
  session_->enqueue(std::move(inputs), {},
                    [weak, context = std::move(context)](Result r, std::exception_ptr e) {
                      const auto queue = weak.lock();
                      if (!queue) return;
                      {
                        std::lock_guard lock(queue->mutex);
                        queue->results.push_back({context, std::move(r), std::move(e)});
                      }
                      queue->cv.notify_all();
                    });
  std::lock_guard lock(q.mutex);
  ++q.submitted;
}

void Submitter::close() {
  {
    std::lock_guard lock(shared_->mutex);
    shared_->closed = true;
  }
  shared_->cv.notify_all();
}

const Model& Submitter::model() const {
  return session_->model();
}

std::optional<std::pair<std::any, Result>> Receiver::recv() {
  return recv(session_->options().timeout);
}

std::optional<std::pair<std::any, Result>> Receiver::recv(std::chrono::milliseconds timeout) {
  Submitter::Shared& q = *shared_;
  session_->block_begin();
  std::unique_lock lock(q.mutex);
  const bool ready = q.cv.wait_for(
      lock, timeout, [&] { return !q.results.empty() || (q.closed && q.received == q.submitted); });
  lock.unlock();
  session_->block_end();
  lock.lock();
  if (!ready)
    throw RuntimeError(RuntimeErrorKind::kTimeout,
                       "recv: no result within " + std::to_string(timeout.count()) + " ms");
  if (q.results.empty()) return std::nullopt;  // closed and drained
  Submitter::Shared::Item item = std::move(q.results.front());
  q.results.pop_front();
  ++q.received;
  lock.unlock();
  if (item.error) {
    try {
      std::rethrow_exception(item.error);
    } catch (const RuntimeError& e) {
      throw QueueError(e, std::move(item.context));
    } catch (const std::exception& e) {
      throw QueueError(RuntimeError(RuntimeErrorKind::kDevice, e.what()), std::move(item.context));
    }
  }
  return std::make_pair(std::move(item.context), std::move(item.result));
}

SessionStats Receiver::stats() const {
  return session_->stats();
}

}  // namespace npusim::runtime
