// The npusim-domain quantised ops (npu_ops.hpp) with the device's integer
// arithmetic: the golden model the simulator must match bit for bit.
// Written as plain loops over ONNX layouts (NCHW), independently of the
// device's NHWC kernels.
#include "kernel.hpp"
#include "npusim/isa/int8.hpp"

namespace npusim::compiler::ops {
namespace {

int32_t element(const Tensor& t, int64_t i) {
  return t.dtype() == DType::kUint8 ? t.as<uint8_t>()[i] : t.as<int8_t>()[i];
}

std::vector<Tensor> qconv(const OpContext& c) {
  const Tensor& x = c.in(0);
  const Tensor& w = c.in(1);
  const Tensor* b = c.has(2) ? &c.in(2) : nullptr;
  if (x.shape().size() != 4 || w.shape().size() != 4) fail("QConv needs 4-D input and weights");
  const int64_t n = x.shape()[0], ci = x.shape()[1], h = x.shape()[2], wd = x.shape()[3];
  const int64_t oc = w.shape()[0], kh = w.shape()[2], kw = w.shape()[3];
  const int64_t group = c.i("group", 1), cg = ci / group, og = oc / group;
  const auto s = c.ints("strides"), d = c.ints("dilations"), p = c.ints("pads");
  const auto mult = c.ints("mult"), shift = c.ints("shift");
  if (group < 1 || ci % group || oc % group || w.shape()[1] != cg)
    fail("QConv channels do not match the weights and group");
  if (static_cast<int64_t>(mult.size()) != oc || static_cast<int64_t>(shift.size()) != oc)
    fail("QConv needs one multiplier and shift per output channel");
  const int64_t oh = (h + p[0] + p[2] - d[0] * (kh - 1) - 1) / s[0] + 1;
  const int64_t ow = (wd + p[1] + p[3] - d[1] * (kw - 1) - 1) / s[1] + 1;
  const int32_t xz = c.i("x_zp", 0), wz = c.i("w_zp", 0), yz = c.i("y_zp", 0);
  const bool ys = c.i("y_signed", 1) != 0;
  const int32_t lo = c.i("act_lo", -32768), hi = c.i("act_hi", 32767);
  Tensor y(ys ? DType::kInt8 : DType::kUint8, {n, oc, oh, ow});
  for (int64_t b0 = 0; b0 < n; ++b0)
    for (int64_t o = 0; o < oc; ++o) {
      const int64_t g = o / og;
      const isa::FixedMultiplier m{static_cast<int32_t>(mult[o]), static_cast<int32_t>(shift[o])};
      for (int64_t yy = 0; yy < oh; ++yy)
        for (int64_t xx = 0; xx < ow; ++xx) {
          int64_t acc = b ? b->as<int32_t>()[o] : 0;
          for (int64_t cc = 0; cc < cg; ++cc)
            for (int64_t ky = 0; ky < kh; ++ky)
              for (int64_t kx = 0; kx < kw; ++kx) {
                const int64_t iy = yy * s[0] - p[0] + ky * d[0], ix = xx * s[1] - p[1] + kx * d[1];
                if (iy < 0 || ix < 0 || iy >= h || ix >= wd) continue;  // padding is x_zp: adds 0
                const int64_t xi = ((b0 * ci + g * cg + cc) * h + iy) * wd + ix;
                const int64_t wi = ((o * cg + cc) * kh + ky) * kw + kx;
                acc += int64_t(element(x, xi) - xz) * (element(w, wi) - wz);
              }
          // The device accumulates in int32 with wrap-around (docs/isa-compute.md).
          const int32_t acc32 = static_cast<int32_t>(static_cast<uint32_t>(acc));
          const int32_t q = isa::requantize_to_8bit(acc32, m, yz, ys, lo, hi);
          const int64_t yi = ((b0 * oc + o) * oh + yy) * ow + xx;
          if (ys)
            y.as<int8_t>()[yi] = static_cast<int8_t>(q);
          else
            y.as<uint8_t>()[yi] = static_cast<uint8_t>(q);
        }
    }
  return {std::move(y)};
}

}  // namespace

void register_npu_ops(Registry& r) {
  r["npusim.QConv"] = qconv;
}

}  // namespace npusim::compiler::ops
