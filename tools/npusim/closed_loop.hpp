// Runs many requests through an AsyncRunner with memory that stays flat:
// `in_flight` are submitted, and each one's result callback (on the runtime's
// dispatcher thread) hands the result over and submits the next request
// there and then. The device sees the same timeline as when every request is
// submitted at once (a new one is admitted the moment a worker frees), but
// only the requests in flight hold inputs and outputs, and the timeline does
// not depend on how fast this thread submits.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <vector>

#include "npusim/runtime/runner.hpp"

namespace npusim::cli {

// `more()` says whether to submit another request (it is called under a
// lock, from this thread or the dispatcher's); `on_result` gets each
// finished request's result or error, on the dispatcher thread. Returns when
// every submitted request has finished.
void run_closed_loop(runtime::AsyncRunner& runner, const std::vector<runtime::Tensor>& inputs,
                     size_t in_flight, const std::function<bool()>& more,
                     const std::function<void(runtime::Result, std::exception_ptr)>& on_result);

}  // namespace npusim::cli
