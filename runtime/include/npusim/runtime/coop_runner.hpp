// Cooperative inference across unlike units (docs/coop.md): each batch of
// queries is split between the units of a unit list (NPU chips with
// hardware parameters of their own, the host CPU running the reference
// executor), every unit runs its part from the batch's start, and the
// results are merged in query order. A unit runs whole queries: an NPU
// unit runs the model's NPU segments and, on the runtime's host lanes, the
// CPU segments the compiler placed there (the tail the NPU lacks: Softmax,
// ...), so the model is cut where the NPU lacks ops and that part runs on
// the host, which has them.
//
// Every chip is simulated by the one in-process device (SystemC elaborates
// one platform per process), configured with that chip's parameters in
// turn: the units share no simulated resource (each chip has its DRAM, each
// NPU unit its host lanes, the CPU unit its cores), so each part's timeline
// from the batch's start is the one it has running beside the others.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "npusim/isa/hw_params.hpp"
#include "npusim/isa/transport.hpp"
#include "npusim/runtime/cpu_unit.hpp"
#include "npusim/runtime/model.hpp"
#include "npusim/runtime/session_stats.hpp"
#include "npusim/runtime/unit_list.hpp"

namespace npusim::runtime {

struct CoopUnit {
  UnitSpec spec;
  isa::HwParams hw;   // NPU units: the chip's parameters
  CpuUnitParams cpu;  // the CPU unit
};

// The device configured with `hw` (sim::in_process_device in the tools).
using DeviceFactory =
    std::function<std::shared_ptr<isa::Transport>(const isa::HwParams& hw, bool timing_only)>;

struct CoopOptions {
  std::string model;  // the int8 QDQ .onnx (the CPU unit runs its graph)
  std::map<std::string, Shape> input_shapes;
  std::string cache_dir;  // ModelOptions::cache_dir
  std::vector<CoopUnit> units;
  DeviceFactory device;
  bool timing_only = true;  // NPU units skip the arithmetic, the CPU unit the executor
  int workers = 8;          // requests in flight on each NPU unit
  std::chrono::milliseconds timeout{600'000};
  bool keep_timeline = false;  // BatchResult::timeline, for a trace
  double merge_ns = 5000;      // handing the parts' results over in query order (two parts or more)
};

// One unit's part of a batch: queries [first, first + count).
struct UnitPart {
  size_t unit = 0;
  int64_t first = 0, count = 0;
  uint64_t span_ps = 0;  // from the batch's start to its last result
};

struct BatchResult {
  std::vector<UnitPart> parts;
  uint64_t span_ps = 0;  // the batch's start to the merge's end: its latency
  // Per query, in query order, the model's outputs (not with timing_only).
  std::vector<std::vector<Tensor>> outputs;
  // With keep_timeline: every unit's lanes ("npu1pe0 run", "npu1 host 2",
  // "cpu core 0"), one "split UNIT" lane per unit with its part (the cut
  // in its args), and the merge.
  SessionStats timeline;
};

// A query's inputs, in the model's input order.
using QueryInputs = std::function<std::vector<Tensor>(int64_t query)>;

class CoopRunner {
 public:
  explicit CoopRunner(CoopOptions options);
  ~CoopRunner();

  const std::vector<TensorDesc>& inputs() const { return inputs_; }
  const std::vector<TensorDesc>& outputs() const { return outputs_; }
  const std::vector<CoopUnit>& units() const { return options_.units; }
  // Where the model is cut on unit i: "NPU: 1 segment(s); host: Softmax"
  // (NPU units), "whole model on 4 cores, 2.1 us/query" (the CPU unit).
  std::string cut(size_t unit) const;

  // Runs queries 0 .. sum(shares) - 1, shares[i] of them on unit i (in
  // order: unit 0 the first shares[0], ...), every unit from the batch's start.
  BatchResult run(const std::vector<int64_t>& shares, const QueryInputs& inputs);
  // n queries on unit i alone: the time from the batch's start to its last
  // result (ps; a unit alone has nothing to merge).
  uint64_t alone_span_ps(size_t unit, int64_t n, const QueryInputs& inputs);
  // The CPU unit's time for n queries comes from its cost model without
  // running anything; NPU units' must be simulated (false).
  bool exact_span(size_t unit, int64_t n, uint64_t* span_ps) const;

 private:
  UnitPart run_npu(size_t unit, int64_t first, int64_t count, const QueryInputs& inputs,
                   BatchResult& out);
  UnitPart run_cpu(size_t unit, int64_t first, int64_t count, const QueryInputs& inputs,
                   BatchResult& out);

  CoopOptions options_;
  std::vector<std::shared_ptr<const Model>> models_;  // per unit; null for the CPU
  std::unique_ptr<CpuUnit> cpu_;
  size_t cpu_index_ = 0;
  std::vector<TensorDesc> inputs_, outputs_;
};

}  // namespace npusim::runtime
