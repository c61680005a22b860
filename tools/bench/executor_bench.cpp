// Speed of the reference executor's FP32 kernels (the golden model `npusim
// run -d cpu` and calibration use), one node at a time: a benchmark, not a
// timed test, because the machines are shared.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "npusim/compiler/executor.hpp"

namespace {

using npusim::compiler::DType;
using npusim::compiler::Node;
using npusim::compiler::Shape;
using npusim::compiler::Tensor;

Tensor random_tensor(Shape shape, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  Tensor t(DType::kFloat32, std::move(shape));
  for (float& v : t.as<float>()) v = dist(gen);
  return t;
}

// A 3x3 convolution, 64 -> 64 channels on 80x80 with padding 1 (a YOLOv8n
// 640 backbone layer).
void BM_Conv3x3_80x80x64to64(benchmark::State& state) {
  const Tensor x = random_tensor({1, 64, 80, 80}, 41), w = random_tensor({64, 64, 3, 3}, 42);
  const Tensor b = random_tensor({64}, 43);
  Node n;
  n.name = "conv";
  n.op = "Conv";
  n.inputs = {"x", "w", "b"};
  n.outputs = {"y"};
  n.attrs["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  const std::vector<const Tensor*> inputs = {&x, &w, &b};
  for (auto _ : state) benchmark::DoNotOptimize(npusim::compiler::execute_node(n, inputs, 17));
  state.counters["MAC/s"] = benchmark::Counter(double(80 * 80 * 64 * 64 * 9),
                                               benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

BENCHMARK(BM_Conv3x3_80x80x64to64)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
