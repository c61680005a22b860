// A session's timeline as a Chrome / Perfetto trace (JSON "traceEvents"):
// one process per lane group (host, each device), one thread per lane (host
// lane k; a device's H2D, RUN and D2H queues), one complete event ("X") per
// interval, named by request. With a device trace (layer_events), each PE
// also gets one lane per engine (load, compute, store) with one event per
// layer, named by the layer. Open it in https://ui.perfetto.dev or
// chrome://tracing.
#pragma once

#include <string>

#include "npusim/runtime/session_stats.hpp"

namespace npusim::runtime {

std::string chrome_trace(const SessionStats& stats);

}  // namespace npusim::runtime
