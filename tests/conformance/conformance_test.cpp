// ONNX node conformance through compile -> simulator (docs/conformance.md).
// One test per libonnx-testdata case whose ops are all in the conformance
// list, each in its own process (SystemC elaborates once per process):
//  - quantised cases (QLinearConv, QLinearMatMul, ConvInteger,
//    MatMulInteger, QuantizeLinear, DequantizeLinear) and integer cases
//    (a listed op on plain uint8/int8 data) are compiled as they are and
//    must match output_N.pb bit for bit; 8-bit outputs of the requantising
//    ops (QLinearConv, QLinearMatMul) may be 1 LSB off (the NPU's fixed-point
//    multiplier against the float rescale), counted and printed;
//  - float cases are quantised (minmax-asym on their own inputs) into a QDQ
//    file that the simulator and ONNX Runtime both run: every element must
//    be within ONNX Runtime's largest error on that file plus one
//    quantisation step of the output.
// In every case the parameters the op reads (weights, biases, shapes, pads,
// scales, zero points, slice bounds, ...), which the cases give as graph
// inputs, are made initializers first; activations stay inputs. Each test
// prints where the ops ran (NPU, or CPU with the compiler's reason).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "conformance/conformance.hpp"
#include "npusim/runtime/runner.hpp"
#include "npusim/sim/in_process_device.hpp"
#include "oracle/oracle.hpp"

namespace npusim::conformance {
namespace {

using Clock = std::chrono::steady_clock;
using compiler::DType;

// Cases that fail for a diagnosed bug in the toolchain, by name: skipped
// with the cause until the bug is fixed (then the entry goes). Not a list of
// tolerated results: every entry is a bug to fix (docs/conformance.md).
// (Fixed so far: Conv auto_pad dropped in lowering; zero-size dims read as
// dynamic shapes.)
const std::map<std::string, std::string> kKnownFailures = {};

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  for (const auto& [name, c] : cases()) names.push_back(name);
  return names;
}

bool has_op(const Case& c, const char* op) {
  return std::find(c.ops.begin(), c.ops.end(), op) != c.ops.end();
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

bool is_code(DType t) {
  return t == DType::kInt8 || t == DType::kUint8;
}

// Bit-exact comparison of an output of a quantised or integer case;
// 8-bit codes may be 1 off where `one_lsb` (a requantising op). Returns
// the count of 1-LSB elements.
int64_t expect_exact(const std::string& what, const Tensor& got, const Tensor& want, bool one_lsb) {
  EXPECT_EQ(dtype_name(got.dtype()), dtype_name(want.dtype())) << what;
  EXPECT_EQ(compiler::shape_string(got.shape()), compiler::shape_string(want.shape())) << what;
  if (got.dtype() != want.dtype() || got.shape() != want.shape()) return 0;
  int64_t off1 = 0, bad = 0;
  for (int64_t i = 0; i < got.size(); ++i) {
    bool ok = true;
    if (got.dtype() == DType::kFloat32) {
      const float g = got.as<float>()[static_cast<size_t>(i)];
      const float w = want.as<float>()[static_cast<size_t>(i)];
      ok = g == w || (std::isnan(g) && std::isnan(w));
    } else {
      const int64_t d = std::llabs(got.int_at(i) - want.int_at(i));
      off1 += d == 1 && one_lsb && is_code(got.dtype());
      ok = d == 0 || (d == 1 && one_lsb && is_code(got.dtype()));
    }
    if (!ok && ++bad <= 5)
      ADD_FAILURE() << what << " element " << i << ": simulator " << got.at(i) << ", expected "
                    << want.at(i);
  }
  EXPECT_EQ(bad, 0) << what << ": " << bad << " of " << got.size() << " elements differ";
  return off1;
}

// A float output of a quantised float case: within ONNX Runtime's error on
// the same QDQ file plus one step. Returns a line for the log.
std::string expect_within_ort(const std::string& what, const Tensor& sim, const Tensor& ort,
                              const Tensor& want, double step, int64_t& differ) {
  std::ostringstream line;
  EXPECT_EQ(dtype_name(sim.dtype()), dtype_name(want.dtype())) << what;
  EXPECT_EQ(compiler::shape_string(sim.shape()), compiler::shape_string(want.shape())) << what;
  EXPECT_EQ(compiler::shape_string(ort.shape()), compiler::shape_string(want.shape())) << what;
  if (sim.dtype() != want.dtype() || sim.shape() != want.shape() || ort.shape() != want.shape())
    return what + ": mismatched tensors";
  if (want.dtype() != DType::kFloat32) {  // e.g. MaxPool's indices: exact
    expect_exact(what, sim, want, false);
    return what + ": " + std::to_string(sim.size()) + " " + std::string(dtype_name(sim.dtype())) +
           " elements compared exactly";
  }
  double ort_err = 0;
  for (int64_t i = 0; i < want.size(); ++i)
    ort_err = std::max(ort_err, std::fabs(ort.at(i) - want.at(i)));
  double sim_err = 0, max_vs_ort = 0;
  int64_t bad = 0;
  for (int64_t i = 0; i < want.size(); ++i) {
    const double s = sim.at(i), o = ort.at(i), w = want.at(i);
    // A float ulp of room for values that stay float (no step).
    const double bound = ort_err + step + 1e-5 * std::max(1.0, std::fabs(w));
    const double err = std::fabs(s - w);
    sim_err = std::max(sim_err, err);
    max_vs_ort = std::max(max_vs_ort, std::fabs(s - o));
    differ += s != o;
    if (!(err <= bound) && ++bad <= 5)
      ADD_FAILURE() << what << " element " << i << ": simulator " << s << ", expected " << w
                    << ", ONNX Runtime " << o << ": |error| " << err << " > " << bound
                    << " (ONNX Runtime's largest error " << ort_err << " + step " << step << ")";
  }
  EXPECT_EQ(bad, 0) << what << ": " << bad << " of " << want.size()
                    << " elements beyond ONNX Runtime's error + 1 step";
  line << what << ": " << want.size() << " elements, step " << step << ", max |sim-expected| "
       << sim_err << ", max |ORT-expected| " << ort_err << "; " << differ
       << " differ from ONNX Runtime";
  if (differ)
    line << " (max " << max_vs_ort << (step > 0 ? " = " + std::to_string(max_vs_ort / step) : "")
         << (step > 0 ? " steps)" : ")");
  return line.str();
}

class NpuConformance : public ::testing::TestWithParam<std::string> {};

TEST_P(NpuConformance, CompileAndSimulate) {
  const Case& c = cases().at(GetParam());
  if (!c.skip.empty()) GTEST_SKIP() << c.skip;
  if (auto it = kKnownFailures.find(c.name); it != kKnownFailures.end())
    GTEST_SKIP() << "KNOWN BUG, to fix: " << it->second;

  // The summary reads what this leaves (a failure unless it gets to the end).
  Result result{"fail", "?", ""};
  struct Save {
    const std::string& name;
    Result& r;
    ~Save() { save_result(name, r); }
  } save{c.name, result};

  const auto t0 = Clock::now();
  npusim::testing::TempDir dir("conformance_" + c.name);
  const Prepared p = prepare(c, dir.path());
  if (p.kind == Kind::kFloat) {
    ASSERT_TRUE(npusim::testing::oracle_present());
  }
  const double t_prepare = seconds_since(t0);

  auto t1 = Clock::now();
  const compiler::CompileOptions co = compile_options();
  const compiler::CompileResult compiled = compiler::compile(p.graph, co);
  const Placement placed = placement(c, compiled);
  result.unit = placed.all_npu ? "NPU" : "CPU";
  const double t_compile = seconds_since(t1);

  t1 = Clock::now();
  auto model = runtime::Model::from_program(compiled.program, c.name, co.hw);
  runtime::RunnerOptions ro;
  ro.transport = sim::in_process_device({co.hw, false});
  ro.devices = "npu0pe0";
  ro.timeout = std::chrono::seconds(60);
  runtime::Runner runner(model, ro);
  std::vector<Tensor> inputs;
  for (const auto& d : model->inputs()) {
    ASSERT_TRUE(p.feeds.count(d.name)) << "the program's input " << d.name << " is not fed";
    inputs.push_back(p.feeds.at(d.name));
  }
  const std::vector<Tensor> out = runner.run(inputs);
  TensorMap sim;
  for (size_t i = 0; i < out.size(); ++i) sim[model->outputs()[i].name] = out[i];
  const double t_sim = seconds_since(t1);

  std::printf("%s: %s case (%s), inputs made initializers: %s\n", c.name.c_str(), kind_name(p.kind),
              join(c.ops, ", ").c_str(),
              p.constants.empty() ? "none" : join(p.constants, ", ").c_str());
  for (const auto& n : p.quant_notes) std::printf("  quantizer: %s\n", n.c_str());
  if (p.boundary_qdq)
    std::printf("  the quantizer quantised nothing: Q/DQ put at the graph boundary here\n");
  std::printf("  placement: %s\n", placed.all_npu ? "all on the NPU" : "not all on the NPU");
  for (const auto& n : placed.npu) std::printf("    NPU %s\n", n.c_str());
  for (const auto& n : placed.cpu) std::printf("    CPU %s\n", n.c_str());

  double t_ort = 0;
  TensorMap ort;
  if (p.kind == Kind::kFloat) {
    t1 = Clock::now();
    ort = npusim::testing::run_ort(p.qdq_file, p.feeds, p.outputs, "disabled", dir.path());
    t_ort = seconds_since(t1);
  }
  const bool requantises = has_op(c, "QLinearConv") || has_op(c, "QLinearMatMul");
  int64_t off1 = 0, differ = 0, elements = 0;
  std::vector<std::string> lines;
  for (size_t i = 0; i < p.outputs.size(); ++i) {
    const std::string& o = p.outputs[i];
    ASSERT_TRUE(sim.count(o)) << "the program has no output " << o;
    const std::string what = "output '" + o + "'";
    if (p.kind == Kind::kFloat) {
      lines.push_back(
          expect_within_ort(what, sim.at(o), ort.at(o), p.expected[i], p.step.at(o), differ));
      elements += p.expected[i].size();
    } else {
      const int64_t n = expect_exact(what, sim.at(o), p.expected[i], requantises);
      off1 += n;
      lines.push_back(what + ": " + std::to_string(sim.at(o).size()) + " elements, " +
                      (n ? std::to_string(n) + " 1 LSB off (fixed-point requantisation)"
                         : std::string("bit-exact")));
    }
  }
  for (const auto& l : lines) std::printf("  %s\n", l.c_str());
  std::printf("  time: prepare %.2f s, compile %.2f s, simulate %.2f s, ONNX Runtime %.2f s\n",
              t_prepare, t_compile, t_sim, t_ort);
  std::fflush(stdout);
  if (!HasFailure()) {
    result.status = "pass";
    if (p.kind == Kind::kFloat)
      result.detail = std::to_string(differ) + " of " + std::to_string(elements) +
                      " elements differ from ONNX Runtime";
    else
      result.detail = std::to_string(off1) + " elements 1 LSB off";
    if (p.boundary_qdq) result.detail += "; boundary Q/DQ by the harness";
  }
}

INSTANTIATE_TEST_SUITE_P(Onnx, NpuConformance, ::testing::ValuesIn(case_names()),
                         [](const auto& info) { return info.param; });

// Per op: cases, how they fared (the last results of this build's case
// tests), and where they run (compiled here, without the simulator).
TEST(NpuConformanceSummary, PerOpTable) {
  const auto& all = cases();
  ASSERT_GE(all.size(), 180u) << "install libonnx-testdata (/usr/share/libonnx-testdata)";
  size_t torch = 0;
  for (const auto& [name, c] : all) torch += name.rfind("test_Conv2d_", 0) == 0;
  ASSERT_GE(torch, 5u) << "the pytorch-converted depthwise/grouped Conv2d cases are missing";

  struct OpRow {
    int cases = 0, pass = 0, fail = 0, not_run = 0, known = 0, skipped = 0, npu = 0, cpu = 0;
    std::map<std::string, int> reasons;
  };
  std::map<std::string, OpRow> rows;
  const auto results = load_results();
  std::printf("%-58s %-9s %-8s %-4s %s\n", "case", "kind", "result", "unit", "detail");
  for (const auto& [name, c] : all) {
    std::string status, unit = "-", kind = "-", detail;
    Placement placed;
    if (!c.skip.empty()) {
      status = "skip";
      detail = c.skip;
    } else {
      try {
        npusim::testing::TempDir dir("conformance_summary");
        const Prepared p = prepare(c, dir.path());
        kind = kind_name(p.kind);
        placed = placement(c, compiler::compile(p.graph, compile_options()));
        unit = placed.all_npu ? "NPU" : "CPU";
      } catch (const std::exception& e) {
        unit = "error";
        detail = e.what();
      }
      if (kKnownFailures.count(name)) {
        status = "known";
        detail = kKnownFailures.at(name);
      } else if (auto it = results.find(name); it != results.end()) {
        status = it->second.status;
        if (detail.empty()) detail = it->second.detail;
      } else {
        status = "not run";
      }
    }
    std::set<std::string> reasons(placed.cpu.begin(), placed.cpu.end());
    if (!reasons.empty())
      detail += std::string(detail.empty() ? "" : "; ") +
                "CPU: " + join({reasons.begin(), reasons.end()}, "; ");
    std::printf("%-58s %-9s %-8s %-4s %s\n", name.c_str(), kind.c_str(), status.c_str(),
                unit.c_str(), detail.c_str());
    for (const auto& op : c.ops) {
      OpRow& r = rows[op];
      ++r.cases;
      r.pass += status == "pass";
      r.fail += status == "fail";
      r.not_run += status == "not run";
      r.known += status == "known";
      r.skipped += status == "skip";
      r.npu += unit == "NPU";
      r.cpu += unit == "CPU";
      for (const auto& reason : reasons) ++r.reasons[reason];
    }
  }
  std::printf("\n%-18s %5s %5s %5s %7s %5s %5s %5s %5s  %s\n", "op", "cases", "pass", "fail",
              "not run", "known", "skip", "NPU", "CPU", "its cases' CPU nodes: reason (cases)");
  for (const auto& [op, r] : rows) {
    std::string why;
    for (const auto& [reason, n] : r.reasons)
      why += (why.empty() ? "" : "; ") + reason + " (" + std::to_string(n) + ")";
    std::printf("%-18s %5d %5d %5d %7d %5d %5d %5d %5d  %s\n", op.c_str(), r.cases, r.pass, r.fail,
                r.not_run, r.known, r.skipped, r.npu, r.cpu, why.c_str());
  }
  std::printf("\nout of scope (listed ops in unlisted forms): %zu\n", out_of_scope().size());
  for (const auto& s : out_of_scope()) std::printf("  %s\n", s.c_str());
  std::printf("known failures (bugs to fix): %zu\n", kKnownFailures.size());
  for (const auto& [name, why] : kKnownFailures)
    std::printf("  %s: %s\n", name.c_str(), why.c_str());
  std::fflush(stdout);
}

}  // namespace
}  // namespace npusim::conformance
