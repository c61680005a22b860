// The device's int8 arithmetic against the ONNX backend conformance data
// (libonnx-testdata): QuantizeLinear / DequantizeLinear must match exactly;
// QLinearConv / QLinearMatMul through the fixed-point requantisation may differ
// from ONNX's float definition by at most 1 LSB (docs/int8.md counts how often).
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/onnx_testdata.hpp"
#include "npusim/isa/int8.hpp"

namespace npusim::isa {
namespace {

using npusim::testing::TestTensor;
namespace fs = std::filesystem;

std::string node_dir() {
  return npusim::testing::testdata_root() + "/node";
}

// Node cases whose directory name starts with one of `prefixes`, sorted.
std::vector<std::string> list_cases(const std::vector<std::string>& prefixes) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(node_dir(), ec)) {
    const std::string name = entry.path().filename().string();
    for (const auto& p : prefixes)
      if (name.rfind(p, 0) == 0) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

const std::vector<std::string> kQdqPrefixes = {"test_quantizelinear", "test_dequantizelinear"};
const std::vector<std::string> kQLinearPrefixes = {"test_qlinearconv", "test_qlinearmatmul_2D",
                                                   "test_qlinearmatmul_3D"};

std::string lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

bool is_dtype(const TestTensor& t, const std::string& name) {
  return lower(t.dtype) == name;
}

struct Case {
  std::string name;
  std::vector<TestTensor> in, out;
};

// Loads a case, or returns why the device cannot run it (a dtype it does not
// have: float8, int4, int16, float16, ...).
std::optional<std::string> load_case(const std::string& name, Case& c) {
  c.name = name;
  const std::string dir = node_dir() + "/" + name;
  try {
    c.in = npusim::testing::load_case_tensors(dir, "input");
    c.out = npusim::testing::load_case_tensors(dir, "output");
  } catch (const std::runtime_error& e) {
    return std::string("data type outside int8/uint8/int32/float: ") + e.what();
  }
  for (const auto* list : {&c.in, &c.out})
    for (const auto& t : *list)
      if (!is_dtype(t, "int8") && !is_dtype(t, "uint8") && !is_dtype(t, "int32") &&
          !is_dtype(t, "float"))
        return "tensor " + t.name + " has data type " + t.dtype +
               " (the device has int8/uint8/int32/float only)";
  if (c.in.empty() || c.out.empty()) return "no test_data_set_0 tensors";
  return std::nullopt;
}

// Per-tensor (one element) or per-channel value i.
double at(const TestTensor& t, size_t i) {
  return t.values.size() == 1 ? t.values[0] : t.values[i];
}

// The optional zero point input `i`, 0 when absent.
double zero_point(const Case& c, size_t i, size_t channel) {
  return c.in.size() > i ? at(c.in[i], channel) : 0.0;
}

// Channel of flat element `i` for a 1-D per-axis scale on axis 1 (ONNX's
// default; none of these cases sets the attribute). nullopt: not that layout.
std::optional<std::vector<size_t>> channels(const TestTensor& x, const TestTensor& scale) {
  std::vector<size_t> ch(x.values.size(), 0);
  if (scale.values.size() == 1) return ch;
  if (scale.dims.size() != 1 || x.dims.size() < 2 || x.dims[1] != scale.dims[0])
    return std::nullopt;
  size_t inner = 1;
  for (size_t d = 2; d < x.dims.size(); ++d) inner *= size_t(x.dims[d]);
  for (size_t i = 0; i < ch.size(); ++i) ch[i] = (i / inner) % size_t(x.dims[1]);
  return ch;
}

class QdqConformance : public ::testing::TestWithParam<std::string> {};

TEST_P(QdqConformance, MatchesExactly) {
  Case c;
  if (const auto why = load_case(GetParam(), c)) GTEST_SKIP() << GetParam() << ": " << *why;
  ASSERT_GE(c.in.size(), 2u);
  const TestTensor &x = c.in[0], &scale = c.in[1], &y = c.out[0];
  ASSERT_EQ(x.dims, y.dims);
  const auto ch = channels(x, scale);
  if (!ch) GTEST_SKIP() << GetParam() << ": scale shape is not per-tensor or per-axis on axis 1";
  const bool quantize = GetParam().rfind("test_quantizelinear", 0) == 0;
  size_t mismatches = 0;
  for (size_t i = 0; i < x.values.size(); ++i) {
    const size_t k = (*ch)[i];
    const auto zp = static_cast<int32_t>(zero_point(c, 2, k));
    const auto s = static_cast<float>(at(scale, k));
    const double got =
        quantize ? quantize_linear(static_cast<float>(x.values[i]), s, zp, is_dtype(y, "int8"))
                 : dequantize_linear(static_cast<int32_t>(x.values[i]), s, zp);
    if (got != y.values[i] && ++mismatches <= 10)
      ADD_FAILURE() << "element " << i << ": x=" << x.values[i] << " expected " << y.values[i]
                    << " got " << got;
  }
  EXPECT_EQ(mismatches, 0u);
  std::cout << GetParam() << ": " << x.values.size() - mismatches << " of " << x.values.size()
            << " elements exact\n";
}

INSTANTIATE_TEST_SUITE_P(Onnx, QdqConformance, ::testing::ValuesIn(list_cases(kQdqPrefixes)),
                         [](const auto& info) { return info.param; });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(QdqConformance);

// ---- QLinearConv / QLinearMatMul: integer accumulators, two requantisations ----

// One output element: its int32 accumulator and its output channel.
struct Acc {
  int64_t value;
  size_t channel;
};

// Output quantisation of a QLinear op: inputs (x_scale, w_scale, y_scale, y_zp).
struct OutputQuant {
  double x_scale;
  const TestTensor* w_scale;
  double y_scale;
  int32_t y_zp;
  bool y_signed;

  double real_scale(size_t ch) const { return x_scale * at(*w_scale, ch) / y_scale; }

  // The device: 32-bit fixed-point multiplier and shift.
  int32_t device(const Acc& a) const {
    return requantize_to_8bit(a.value, quantize_multiplier(real_scale(a.channel)), y_zp, y_signed);
  }

  // ONNX's definition: float scale, round half to even, saturate.
  int32_t reference(const Acc& a) const {
    const double v = std::nearbyint(static_cast<double>(a.value) * real_scale(a.channel)) + y_zp;
    return static_cast<int32_t>(std::clamp(v, double(qmin(y_signed)), double(qmax(y_signed))));
  }
};

// Attributes of the QLinearConv cases, read from their model.onnx with
// /usr/bin/python3 -c "import onnx; print(onnx.load(PATH).graph.node)".
struct ConvAttrs {
  int64_t stride_h = 1, stride_w = 1, pad_t = 0, pad_l = 0, pad_b = 0, pad_r = 0;
  int64_t dil_h = 1, dil_w = 1, group = 1;
};
const std::map<std::string, ConvAttrs> kConvAttrs = {
    {"test_qlinearconv", {}},  // the node has no attributes: all ONNX defaults
};

// Naive NCHW convolution of (x - x_zp) * (w - w_zp) (+ bias), int32 accumulators.
std::vector<Acc> conv_accumulators(const Case& c, const ConvAttrs& a, std::vector<int64_t>& dims) {
  const TestTensor &x = c.in[0], &w = c.in[3];
  const int64_t N = x.dims[0], C = x.dims[1], H = x.dims[2], W = x.dims[3];
  const int64_t M = w.dims[0], Cg = w.dims[1], KH = w.dims[2], KW = w.dims[3];
  const int64_t OH = (H + a.pad_t + a.pad_b - a.dil_h * (KH - 1) - 1) / a.stride_h + 1;
  const int64_t OW = (W + a.pad_l + a.pad_r - a.dil_w * (KW - 1) - 1) / a.stride_w + 1;
  const int64_t Mg = M / a.group;
  dims = {N, M, OH, OW};
  const double x_zp = zero_point(c, 2, 0);
  std::vector<Acc> out;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          int64_t acc = c.in.size() > 8 ? int64_t(c.in[8].values[m]) : 0;
          const double w_zp = zero_point(c, 5, m);
          for (int64_t cg = 0; cg < Cg; ++cg)
            for (int64_t kh = 0; kh < KH; ++kh)
              for (int64_t kw = 0; kw < KW; ++kw) {
                const int64_t ih = oh * a.stride_h - a.pad_t + kh * a.dil_h;
                const int64_t iw = ow * a.stride_w - a.pad_l + kw * a.dil_w;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;  // padding is x_zp
                const int64_t ic = (m / Mg) * Cg + cg;
                const double xv = x.values[((n * C + ic) * H + ih) * W + iw];
                const double wv = w.values[((m * Cg + cg) * KH + kh) * KW + kw];
                acc += int64_t(xv - x_zp) * int64_t(wv - w_zp);
              }
          out.push_back({acc, size_t(m)});
        }
  return out;
}

int64_t product(const std::vector<int64_t>& dims, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end; ++i) p *= dims[i];
  return p;
}

// Naive batched matmul of (a - a_zp) * (b - b_zp); b's scale and zero point
// may be per column. Batches broadcast when one side has a single one.
std::vector<Acc> matmul_accumulators(const Case& c, std::vector<int64_t>& dims) {
  const TestTensor &a = c.in[0], &b = c.in[3];
  const size_t ra = a.dims.size(), rb = b.dims.size();
  const int64_t M = a.dims[ra - 2], K = a.dims[ra - 1], N = b.dims[rb - 1];
  const int64_t batch_a = product(a.dims, 0, ra - 2), batch_b = product(b.dims, 0, rb - 2);
  const int64_t batch = std::max(batch_a, batch_b);
  EXPECT_TRUE(batch_a == batch_b || batch_a == 1 || batch_b == 1);
  dims = ra >= rb ? a.dims : b.dims;
  dims[dims.size() - 2] = M;
  dims.back() = N;
  const double a_zp = zero_point(c, 2, 0);
  std::vector<Acc> out;
  for (int64_t bt = 0; bt < batch; ++bt)
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        int64_t acc = 0;
        const double b_zp = zero_point(c, 5, j);
        for (int64_t k = 0; k < K; ++k) {
          const double av = a.values[((batch_a == 1 ? 0 : bt) * M + i) * K + k];
          const double bv = b.values[((batch_b == 1 ? 0 : bt) * K + k) * N + j];
          acc += int64_t(av - a_zp) * int64_t(bv - b_zp);
        }
        out.push_back({acc, size_t(j)});
      }
  return out;
}

class QLinearConformance : public ::testing::TestWithParam<std::string> {};

TEST_P(QLinearConformance, FixedPointWithinOneLsb) {
  Case c;
  if (const auto why = load_case(GetParam(), c)) GTEST_SKIP() << GetParam() << ": " << *why;
  ASSERT_GE(c.in.size(), 8u);
  if (c.in[1].values.size() != 1) GTEST_SKIP() << GetParam() << ": per-row input scale";
  std::vector<int64_t> dims;
  std::vector<Acc> accs;
  if (GetParam().rfind("test_qlinearconv", 0) == 0) {
    const auto attrs = kConvAttrs.find(GetParam());
    ASSERT_NE(attrs, kConvAttrs.end()) << "record the attributes of " << GetParam();
    accs = conv_accumulators(c, attrs->second, dims);
  } else {
    accs = matmul_accumulators(c, dims);
  }
  const TestTensor& y = c.out[0];
  ASSERT_EQ(dims, y.dims);
  ASSERT_EQ(accs.size(), y.values.size());
  const OutputQuant q{at(c.in[1], 0), &c.in[4], at(c.in[6], 0),
                      static_cast<int32_t>(at(c.in[7], 0)), is_dtype(y, "int8")};
  size_t exact = 0, off_by_one = 0;
  for (size_t i = 0; i < accs.size(); ++i) {
    ASSERT_GE(accs[i].value, INT32_MIN) << "accumulator beyond int32 at " << i;
    ASSERT_LE(accs[i].value, INT32_MAX) << "accumulator beyond int32 at " << i;
    const auto want = static_cast<int32_t>(y.values[i]);
    // The float reference proves the test reads data and layouts right.
    ASSERT_EQ(q.reference(accs[i]), want) << "float reference, element " << i;
    const int32_t got = q.device(accs[i]);
    ASSERT_LE(std::abs(got - want), 1) << "element " << i << " acc " << accs[i].value;
    (got == want ? exact : off_by_one) += 1;
  }
  RecordProperty("exact", static_cast<int>(exact));
  RecordProperty("off_by_one", static_cast<int>(off_by_one));
  std::cout << GetParam() << ": " << exact << " exact, " << off_by_one << " off by one (of "
            << accs.size() << ")\n";
}

INSTANTIATE_TEST_SUITE_P(Onnx, QLinearConformance,
                         ::testing::ValuesIn(list_cases(kQLinearPrefixes)),
                         [](const auto& info) { return info.param; });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(QLinearConformance);

// Missing data must fail loudly, not pass as zero instantiated tests.
TEST(OnnxConformanceData, CasesArePresent) {
  EXPECT_GE(list_cases(kQdqPrefixes).size(), 4u)
      << "install libonnx-testdata (" << node_dir() << ")";
  EXPECT_GE(list_cases(kQLinearPrefixes).size(), 3u)
      << "install libonnx-testdata (" << node_dir() << ")";
}

}  // namespace
}  // namespace npusim::isa
