// Runner (sync) and AsyncRunner: thin fronts of a Session.
#include "npusim/runtime/runner.hpp"

#include "future_state.hpp"
#include "session.hpp"

namespace npusim::runtime {

namespace {

// Queues one request; its Future is fulfilled on the dispatcher thread.
Future submit(const std::shared_ptr<Session>& session, std::vector<Tensor> inputs,
              std::vector<std::string> wanted) {
  auto state = std::make_shared<Future::State>(session);
  session->enqueue(std::move(inputs), std::move(wanted), [state](Result r, std::exception_ptr e) {
    state->fulfil(std::move(r), std::move(e));
  });
  return Future(state, session->options().timeout);
}

}  // namespace

Runner::Runner(std::shared_ptr<const Model> model, RunnerOptions options)
    : session_(std::make_shared<Session>(std::move(model), std::move(options))) {}
Runner::~Runner() = default;
Runner::Runner(Runner&&) noexcept = default;

const Model& Runner::model() const {
  return session_->model();
}

std::vector<Tensor> Runner::run(const std::vector<Tensor>& inputs) {
  Result r = submit(session_, inputs, {}).get();
  last_ = r.timing;
  return std::move(r.outputs);
}

std::vector<std::pair<std::string, Tensor>> Runner::run_with(
    const std::vector<std::string>& output_names,
    const std::vector<std::pair<std::string, Tensor>>& inputs) {
  const Model& m = model();
  std::vector<Tensor> ordered(m.inputs().size());
  std::vector<bool> given(m.inputs().size(), false);
  for (const auto& [name, value] : inputs) {
    size_t i = 0;
    while (i < m.inputs().size() && m.inputs()[i].name != name) ++i;
    if (i == m.inputs().size()) {
      std::string names;
      for (const auto& t : m.inputs()) names += (names.empty() ? "" : ", ") + t.name;
      throw RuntimeError(RuntimeErrorKind::kInvalidInput, m.origin() + " has no input named \"" +
                                                              name + "\" (inputs: " + names + ")");
    }
    if (given[i])
      throw RuntimeError(RuntimeErrorKind::kInvalidInput, "input \"" + name + "\" given twice");
    ordered[i] = value;
    given[i] = true;
  }
  for (size_t i = 0; i < given.size(); ++i)
    if (!given[i])
      throw RuntimeError(RuntimeErrorKind::kInvalidInput,
                         "input \"" + m.inputs()[i].name + "\" is missing");
  Result r = submit(session_, std::move(ordered), output_names).get();
  last_ = r.timing;
  std::vector<std::pair<std::string, Tensor>> named;
  for (size_t i = 0; i < r.outputs.size(); ++i)
    named.emplace_back(output_names.empty() ? m.outputs()[i].name : output_names[i],
                       std::move(r.outputs[i]));
  return named;
}

SessionStats Runner::stats() const {
  return session_->stats();
}
void Runner::close() {
  session_->close();
}

AsyncRunner::AsyncRunner(std::shared_ptr<const Model> model, RunnerOptions options)
    : session_(std::make_shared<Session>(std::move(model), std::move(options))) {}
AsyncRunner::~AsyncRunner() = default;

const Model& AsyncRunner::model() const {
  return session_->model();
}

Future AsyncRunner::run_async(std::vector<Tensor> inputs) {
  return submit(session_, std::move(inputs), {});
}

std::vector<Future> AsyncRunner::run_async_all(std::vector<std::vector<Tensor>> inputs) {
  std::vector<Future> futures;
  session_->enqueue_all(std::move(inputs), [&] {
    auto state = std::make_shared<Future::State>(session_);
    futures.emplace_back(state, session_->options().timeout);
    return [state](Result r, std::exception_ptr e) { state->fulfil(std::move(r), std::move(e)); };
  });
  return futures;
}

void AsyncRunner::run_async(std::vector<Tensor> inputs,
                            std::function<void(Result, std::exception_ptr)> callback) {
  session_->enqueue(std::move(inputs), {}, std::move(callback));
}

void AsyncRunner::run_async_all(std::vector<std::vector<Tensor>> inputs,
                                const std::function<void(Result, std::exception_ptr)>& callback) {
  session_->enqueue_all(std::move(inputs), [&] { return callback; });
}

void AsyncRunner::wait_all() {
  session_->wait_idle();
}
bool AsyncRunner::mark_idle(uint64_t results_seen) {
  return session_->mark_idle(results_seen);
}
SessionStats AsyncRunner::stats() const {
  return session_->stats();
}
std::vector<PeUtilisation> AsyncRunner::pe_counters() const {
  return session_->pe_counters();
}
void AsyncRunner::close() {
  session_->close();
}

}  // namespace npusim::runtime
