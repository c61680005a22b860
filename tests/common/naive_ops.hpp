// Straightforward loops for the operations of the device tests: the
// reference the device's outputs must equal bit for bit. The requantisation
// step is the one defined in isa/int8.hpp (the arithmetic contract).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "npusim/isa/int8.hpp"

namespace npusim::testing {

// int8 A[m][k] x int8 W[n][k] -> int32 [m][n] (zero points 0).
inline std::vector<int32_t> naive_matmul(const std::vector<uint8_t>& a,
                                         const std::vector<uint8_t>& w, int m, int k, int n) {
  std::vector<int32_t> c(size_t(m) * n);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      int32_t s = 0;
      for (int x = 0; x < k; ++x) s += int8_t(a[i * k + x]) * int8_t(w[j * k + x]);
      c[i * n + j] = s;
    }
  return c;
}

// HWC int8 input, [oc][kh][kw][c] int8 weights, int32 bias, square kernel,
// stride 1, symmetric padding `pad`; output [h][w][oc] int32.
inline std::vector<int32_t> naive_conv(const std::vector<uint8_t>& in, int h, int w, int c,
                                       const std::vector<uint8_t>& wt,
                                       const std::vector<int32_t>& bias, int oc, int k, int pad) {
  const int oh = h + 2 * pad - k + 1, ow = w + 2 * pad - k + 1;
  std::vector<int32_t> out(size_t(oh) * ow * oc);
  for (int y = 0; y < oh; ++y)
    for (int x = 0; x < ow; ++x)
      for (int o = 0; o < oc; ++o) {
        int32_t s = bias[o];
        for (int ky = 0; ky < k; ++ky)
          for (int kx = 0; kx < k; ++kx) {
            const int iy = y + ky - pad, ix = x + kx - pad;
            if (iy < 0 || ix < 0 || iy >= h || ix >= w) continue;
            for (int ci = 0; ci < c; ++ci)
              s +=
                  int8_t(in[(iy * w + ix) * c + ci]) * int8_t(wt[((o * k + ky) * k + kx) * c + ci]);
          }
        out[(y * ow + x) * oc + o] = s;
      }
  return out;
}

// int32 [count][channels] -> int8 with per-channel (mult, shift).
inline std::vector<uint8_t> naive_requant(const std::vector<int32_t>& acc, int channels,
                                          const std::vector<isa::FixedMultiplier>& m,
                                          int32_t zero_point = 0) {
  std::vector<uint8_t> out(acc.size());
  for (size_t i = 0; i < acc.size(); ++i)
    out[i] = uint8_t(isa::requantize_to_8bit(acc[i], m[i % channels], zero_point, true));
  return out;
}

// Max pooling of an HWC int8 tensor, k x k window, stride k, no padding.
inline std::vector<uint8_t> naive_maxpool(const std::vector<uint8_t>& in, int h, int w, int c,
                                          int k) {
  const int oh = h / k, ow = w / k;
  std::vector<uint8_t> out(size_t(oh) * ow * c);
  for (int y = 0; y < oh; ++y)
    for (int x = 0; x < ow; ++x)
      for (int ci = 0; ci < c; ++ci) {
        int8_t best = -128;
        for (int ky = 0; ky < k; ++ky)
          for (int kx = 0; kx < k; ++kx)
            best = std::max(best, int8_t(in[((y * k + ky) * w + x * k + kx) * c + ci]));
        out[(y * ow + x) * c + ci] = uint8_t(best);
      }
  return out;
}

template <typename T>
std::vector<uint8_t> as_bytes(const std::vector<T>& v) {
  const auto* p = reinterpret_cast<const uint8_t*>(v.data());
  return std::vector<uint8_t>(p, p + v.size() * sizeof(T));
}

}  // namespace npusim::testing
