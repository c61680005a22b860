// Throughput of the matrix-unit kernels through the public kernels::execute
// entry (im2col, packing and output initialisation included), in MAC/s.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "npusim/isa/kernels.hpp"

namespace {

using npusim::isa::Field;
using npusim::isa::Instruction;
using npusim::isa::Opcode;
namespace kernels = npusim::isa::kernels;

// An SRAM image with random contents, large enough for every range the instruction touches.
std::vector<uint8_t> sram_for(const Instruction& in) {
  const kernels::Accesses acc = kernels::accesses(in);
  uint64_t end = 0;
  for (int i = 0; i < acc.num_reads; ++i) end = std::max(end, acc.reads[i].end);
  for (int i = 0; i < acc.num_writes; ++i) end = std::max(end, acc.writes[i].end);
  std::vector<uint8_t> sram(end);
  std::mt19937 rng(7);
  for (auto& b : sram) b = static_cast<uint8_t>(rng());
  return sram;
}

void run(benchmark::State& state, const Instruction& in) {
  std::vector<uint8_t> sram = sram_for(in);
  for (auto _ : state) {
    kernels::execute(in, sram);
    benchmark::ClobberMemory();
  }
  const double macs = static_cast<double>(kernels::mac_count(in));
  state.counters["MAC/s"] = benchmark::Counter(macs, benchmark::Counter::kIsIterationInvariantRate);
}

// A conv with operands laid out back to back: src, wgt, bias, dst.
Instruction conv(int64_t h, int64_t w, int64_t c, int64_t oc, int64_t k, int64_t pad,
                 int64_t groups = 1) {
  const int64_t src = 0, wgt = src + h * w * c, bias = wgt + oc * k * k * (c / groups);
  const int64_t dst = bias + 4 * oc;
  return npusim::isa::make(
      Opcode::kMatConv,
      {{Field::kSrc, src},  {Field::kWgt, wgt},     {Field::kBias, bias},     {Field::kDst, dst},
       {Field::kInH, h},    {Field::kInW, w},       {Field::kInC, c},         {Field::kOutC, oc},
       {Field::kKH, k},     {Field::kKW, k},        {Field::kStrideH, 1},     {Field::kStrideW, 1},
       {Field::kDilH, 1},   {Field::kDilW, 1},      {Field::kPadT, pad},      {Field::kPadL, pad},
       {Field::kPadB, pad}, {Field::kPadR, pad},    {Field::kGroups, groups}, {Field::kSrcZp, 128},
       {Field::kWgtZp, 0},  {Field::kSrcSigned, 0}, {Field::kWgtSigned, 1},   {Field::kBiasEn, 1}});
}

Instruction matmul(int64_t m, int64_t k, int64_t n) {
  return npusim::isa::make(Opcode::kMatMul, {{Field::kSrc, 0},
                                             {Field::kWgt, m * k},
                                             {Field::kBias, m * k + n * k},
                                             {Field::kDst, m * k + n * k + 4 * n},
                                             {Field::kM, m},
                                             {Field::kK, k},
                                             {Field::kN, n},
                                             {Field::kSrcZp, -3},
                                             {Field::kWgtZp, 0},
                                             {Field::kSrcSigned, 1},
                                             {Field::kWgtSigned, 1},
                                             {Field::kBiasEn, 1}});
}

void BM_Conv3x3_56x56x64to64(benchmark::State& s) {
  run(s, conv(56, 56, 64, 64, 3, 1));
}
void BM_Conv1x1_80x80x64to64(benchmark::State& s) {
  run(s, conv(80, 80, 64, 64, 1, 0));
}
void BM_MatMul_1024x1024x1024(benchmark::State& s) {
  run(s, matmul(1024, 1024, 1024));
}
void BM_Depthwise3x3_112x112x32(benchmark::State& s) {
  run(s, conv(112, 112, 32, 32, 3, 1, 32));
}

BENCHMARK(BM_Conv3x3_56x56x64to64)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Conv1x1_80x80x64to64)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MatMul_1024x1024x1024)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Depthwise3x3_112x112x32)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
