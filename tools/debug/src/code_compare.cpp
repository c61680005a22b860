#include "npusim/debug/code_compare.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace npusim::debug {
namespace {

using compiler::DType;

std::vector<int> codes_of(const Tensor& t) {
  std::vector<int> v;
  v.reserve(static_cast<size_t>(t.size()));
  if (t.dtype() == DType::kInt8) {
    for (int8_t c : t.as<int8_t>()) v.push_back(c);
  } else if (t.dtype() == DType::kUint8) {
    for (uint8_t c : t.as<uint8_t>()) v.push_back(int(c) - 128);
  } else {
    throw std::runtime_error("not an int8/uint8 code tensor: " +
                             std::string(compiler::dtype_name(t.dtype())));
  }
  return v;
}

std::vector<double> floats_of(const Tensor& t) {
  if (t.dtype() != DType::kFloat32)
    throw std::runtime_error("not a float32 tensor: " +
                             std::string(compiler::dtype_name(t.dtype())));
  const auto s = t.as<float>();
  return {s.begin(), s.end()};
}

}  // namespace

CodeStats compare_codes(const Tensor& a, const Tensor& b) {
  if (a.size() != b.size())
    throw std::runtime_error(
        "code tensors of different shapes: " + compiler::shape_string(a.shape()) + " and " +
        compiler::shape_string(b.shape()));
  const std::vector<int> x = codes_of(a), y = codes_of(b);
  CodeStats r;
  r.elements = static_cast<int64_t>(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const int d = std::abs(x[i] - y[i]);
    r.exact += d == 0;
    r.within_1 += d <= 1;
    r.max_diff = std::max(r.max_diff, d);
  }
  return r;
}

CodeStats& operator+=(CodeStats& total, const CodeStats& one) {
  total.elements += one.elements;
  total.exact += one.exact;
  total.within_1 += one.within_1;
  total.max_diff = std::max(total.max_diff, one.max_diff);
  return total;
}

FloatStats compare_floats(const Tensor& x, const Tensor& ref) {
  if (x.size() != ref.size())
    throw std::runtime_error("tensors of different shapes: " + compiler::shape_string(x.shape()) +
                             " and " + compiler::shape_string(ref.shape()));
  const std::vector<double> a = floats_of(x), b = floats_of(ref);
  FloatStats r;
  double xx = 0, xr = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    r.signal += b[i] * b[i];
    r.noise += (a[i] - b[i]) * (a[i] - b[i]);
    xx += a[i] * a[i];
    xr += a[i] * b[i];
  }
  r.sqnr_db = r.noise == 0 ? std::numeric_limits<double>::infinity()
                           : 10.0 * std::log10(r.signal / r.noise);
  r.cosine = xx > 0 && r.signal > 0 ? xr / std::sqrt(xx * r.signal) : (xx == r.signal ? 1.0 : 0.0);
  return r;
}

Tensor dequantize(const Tensor& codes, float scale, int32_t zero_point) {
  const std::vector<int> q = codes_of(codes);
  const int zp = codes.dtype() == DType::kUint8 ? zero_point - 128 : zero_point;
  Tensor out(DType::kFloat32, codes.shape());
  auto v = out.as<float>();
  for (size_t i = 0; i < q.size(); ++i) v[i] = scale * static_cast<float>(q[i] - zp);
  return out;
}

Tensor quantize(const Tensor& values, float scale, int32_t zero_point) {
  const std::vector<double> x = floats_of(values);
  Tensor out(DType::kInt8, values.shape());
  auto q = out.as<int8_t>();
  for (size_t i = 0; i < x.size(); ++i) {
    const double c = std::nearbyint(static_cast<float>(x[i]) / scale) + zero_point;
    q[i] = static_cast<int8_t>(std::clamp(c, -128.0, 127.0));
  }
  return out;
}

}  // namespace npusim::debug
