// Unit tests of the reference executor: broadcasting, the opset-dependent
// attribute/input forms, convolutions and matrix products against naive
// loops, graph execution, error messages and Conv speed.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "npusim/compiler/executor.hpp"

namespace npusim::compiler {
namespace {

Tensor F(Shape s, std::vector<float> v) {
  return Tensor::from(DType::kFloat32, std::move(s), v);
}
Tensor I64(std::vector<int64_t> v) {
  const auto n = static_cast<int64_t>(v.size());
  return Tensor::from(DType::kInt64, {n}, v);
}

Tensor random_tensor(Shape s, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  Tensor t(DType::kFloat32, std::move(s));
  for (float& v : t.as<float>()) v = dist(gen);
  return t;
}

Node make_node(const std::string& op, size_t inputs, std::map<std::string, Attribute> attrs = {},
               size_t outputs = 1) {
  Node n;
  n.name = "n_" + op;
  n.op = op;
  for (size_t i = 0; i < inputs; ++i) n.inputs.push_back("in" + std::to_string(i));
  for (size_t i = 0; i < outputs; ++i) n.outputs.push_back("out" + std::to_string(i));
  n.attrs = std::move(attrs);
  return n;
}

// Runs one node; absent (empty-dtype) tensors become omitted inputs.
std::vector<Tensor> run(const Node& n, const std::vector<Tensor>& in, int64_t opset = 17) {
  std::vector<const Tensor*> ptrs;
  for (const auto& t : in) ptrs.push_back(t.dtype() == DType::kUndefined ? nullptr : &t);
  return execute_node(n, ptrs, opset);
}

Tensor run1(const Node& n, const std::vector<Tensor>& in, int64_t opset = 17) {
  return run(n, in, opset).at(0);
}

std::vector<float> values(const Tensor& t) {
  auto s = t.as<float>();
  return {s.begin(), s.end()};
}

void expect_near(const Tensor& got, const Tensor& want, double tol = 1e-4) {
  ASSERT_EQ(got.shape(), want.shape());
  for (int64_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got.at(i), want.at(i), tol * (1 + std::abs(want.at(i)))) << "element " << i;
}

// The message of the CompileError `f` throws.
template <typename Fn>
std::string error_of(Fn f) {
  try {
    f();
  } catch (const CompileError& e) {
    return e.what();
  }
  return "(no error)";
}

// ---- broadcasting ----

TEST(Broadcast, AddsAcrossRanksAndOnes) {
  const Tensor a = F({2, 3, 1}, {0, 1, 2, 3, 4, 5});
  const Tensor b = F({4}, {10, 20, 30, 40});
  const Tensor y = run1(make_node("Add", 2), {a, b});
  ASSERT_EQ(y.shape(), (Shape{2, 3, 4}));
  for (int64_t i = 0; i < 6; ++i)
    for (int64_t j = 0; j < 4; ++j) EXPECT_EQ(y.at(i * 4 + j), i + 10.0 * (j + 1));
}

TEST(Broadcast, BothSidesAndScalars) {
  const Tensor y = run1(make_node("Mul", 2), {F({3, 1}, {1, 2, 3}), F({1, 2}, {10, 100})});
  EXPECT_EQ(values(y), (std::vector<float>{10, 100, 20, 200, 30, 300}));
  const Tensor s = run1(make_node("Sub", 2), {F({}, {5}), F({2}, {1, 2})});
  EXPECT_EQ(values(s), (std::vector<float>{4, 3}));
}

TEST(Broadcast, WhereBroadcastsThreeWays) {
  const Tensor c = Tensor::from(DType::kBool, {2, 1}, std::vector<uint8_t>{1, 0});
  const Tensor y = run1(make_node("Where", 3), {c, F({3}, {1, 2, 3}), F({}, {-1})});
  EXPECT_EQ(values(y), (std::vector<float>{1, 2, 3, -1, -1, -1}));
}

TEST(Broadcast, IncompatibleShapesNameTheNode) {
  const std::string msg = error_of([] {
    run(make_node("Add", 2), {F({2, 3}, {0, 0, 0, 0, 0, 0}), F({2}, {0, 0})});
  });
  EXPECT_NE(msg.find("Add 'n_Add'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("do not broadcast"), std::string::npos) << msg;
}

TEST(Broadcast, IntegerArithmeticWrapsAndDivisionByZeroIsAnError) {
  const Tensor a = Tensor::from(DType::kUint8, {2}, std::vector<uint8_t>{250, 7});
  const Tensor b = Tensor::from(DType::kUint8, {2}, std::vector<uint8_t>{10, 2});
  EXPECT_EQ(run1(make_node("Add", 2), {a, b}).int_at(0), 4);
  EXPECT_EQ(run1(make_node("Div", 2), {a, b}).int_at(1), 3);
  const Tensor z = Tensor::from(DType::kUint8, {2}, std::vector<uint8_t>{1, 0});
  EXPECT_NE(error_of([&] {
              run(make_node("Div", 2), {a, z});
            }).find("division by zero"),
            std::string::npos);
}

// ---- opset-dependent forms ----

TEST(OpsetForms, ClipAttributesBeforeOpset11InputsAfter) {
  const Tensor x = F({4}, {-2, -0.5, 0.5, 2});
  const Node old = make_node("Clip", 1, {{"min", -1.f}, {"max", 1.f}});
  EXPECT_EQ(values(run1(old, {x}, 6)), (std::vector<float>{-1, -0.5, 0.5, 1}));
  const Tensor lo = F({}, {0}), none;
  EXPECT_EQ(values(run1(make_node("Clip", 3), {x, lo, none}, 13)),
            (std::vector<float>{0, 0, 0.5, 2}));
}

TEST(OpsetForms, SliceAttributesBeforeOpset10) {
  const Tensor x = F({2, 4}, {0, 1, 2, 3, 4, 5, 6, 7});
  const Node old = make_node("Slice", 1,
                             {{"starts", std::vector<int64_t>{1}},
                              {"ends", std::vector<int64_t>{-1}},
                              {"axes", std::vector<int64_t>{1}}});
  EXPECT_EQ(values(run1(old, {x}, 9)), (std::vector<float>{1, 2, 5, 6}));
  const Tensor y = run1(make_node("Slice", 5), {x, I64({-1}), I64({-100}), I64({1}), I64({-2})});
  EXPECT_EQ(values(y), (std::vector<float>{3, 1, 7, 5}));
}

TEST(OpsetForms, PadAttributeBeforeOpset11AndModes) {
  const Tensor x = F({1, 3}, {1, 2, 3});
  const Node old =
      make_node("Pad", 1, {{"pads", std::vector<int64_t>{0, 2, 0, 1}}, {"value", 9.f}});
  EXPECT_EQ(values(run1(old, {x}, 9)), (std::vector<float>{9, 9, 1, 2, 3, 9}));
  const Tensor pads = I64({0, 2, 0, 2});
  EXPECT_EQ(values(run1(make_node("Pad", 2, {{"mode", std::string("reflect")}}), {x, pads})),
            (std::vector<float>{3, 2, 1, 2, 3, 2, 1}));
  EXPECT_EQ(values(run1(make_node("Pad", 2, {{"mode", std::string("edge")}}), {x, pads})),
            (std::vector<float>{1, 1, 1, 2, 3, 3, 3}));
}

TEST(OpsetForms, SplitAttributeBeforeOpset13InputAfter) {
  const Tensor x = F({5}, {0, 1, 2, 3, 4});
  const auto old = run(make_node("Split", 1, {{"split", std::vector<int64_t>{2, 3}}}, 2), {x}, 11);
  EXPECT_EQ(values(old[1]), (std::vector<float>{2, 3, 4}));
  const auto now = run(make_node("Split", 2, {}, 2), {x, I64({4, 1})}, 13);
  EXPECT_EQ(values(now[1]), (std::vector<float>{4}));
}

TEST(OpsetForms, SqueezeUnsqueezeAxesAttributeBeforeOpset13) {
  const Tensor x = F({1, 2, 1}, {1, 2});
  EXPECT_EQ(run1(make_node("Squeeze", 1, {{"axes", std::vector<int64_t>{-1}}}), {x}, 11).shape(),
            (Shape{1, 2}));
  EXPECT_EQ(run1(make_node("Squeeze", 1), {x}, 11).shape(), (Shape{2}));
  EXPECT_EQ(run1(make_node("Squeeze", 2), {x, I64({0})}, 13).shape(), (Shape{2, 1}));
  EXPECT_EQ(
      run1(make_node("Unsqueeze", 1, {{"axes", std::vector<int64_t>{0, 4}}}), {x}, 11).shape(),
      (Shape{1, 1, 2, 1, 1}));
  EXPECT_EQ(run1(make_node("Unsqueeze", 2), {x, I64({-1})}, 13).shape(), (Shape{1, 2, 1, 1}));
}

TEST(OpsetForms, SoftmaxCoercesTo2DBeforeOpset13) {
  const Tensor x = F({1, 2, 2}, {0, 1, 2, 3});
  const Node n = make_node("Softmax", 1, {{"axis", int64_t{1}}});
  const auto old = values(run1(n, {x}, 11));  // over the 4 values together
  const auto now = values(run1(n, {x}, 13));  // over axis 1 only (pairs 0/2 and 1/3)
  EXPECT_NEAR(old[0] + old[1] + old[2] + old[3], 1.0, 1e-6);
  EXPECT_NEAR(now[0] + now[2], 1.0, 1e-6);
  EXPECT_NEAR(now[1] + now[3], 1.0, 1e-6);
}

TEST(OpsetForms, ReduceMeanAxesAttributeAndReduceSumAxesInput) {
  const Tensor x = F({2, 3}, {0, 1, 2, 3, 4, 5});
  const Node mean =
      make_node("ReduceMean", 1, {{"axes", std::vector<int64_t>{1}}, {"keepdims", int64_t{0}}});
  EXPECT_EQ(values(run1(mean, {x}, 13)), (std::vector<float>{1, 4}));
  const Tensor sum = run1(make_node("ReduceSum", 2), {x, I64({0})}, 13);
  EXPECT_EQ(sum.shape(), (Shape{1, 3}));
  EXPECT_EQ(values(sum), (std::vector<float>{3, 5, 7}));
}

TEST(OpsetForms, Resize10AndUpsample9AreAsymmetricFloor) {
  const Tensor x = F({1, 1, 1, 2}, {1, 2});
  const Tensor scales = F({4}, {1, 1, 1, 2});
  const std::vector<float> want = {1, 1, 2, 2};
  EXPECT_EQ(values(run1(make_node("Resize", 2), {x, scales}, 10)), want);
  EXPECT_EQ(values(run1(make_node("Upsample", 2), {x, scales}, 9)), want);
  const Node lin = make_node("Resize", 2, {{"mode", std::string("linear")}});
  EXPECT_EQ(values(run1(lin, {x, scales}, 10)), (std::vector<float>{1, 1.5, 2, 2}));
}

TEST(OpsetForms, ResizeNearestModesAndCoordinateTransforms) {
  const Tensor x = F({1, 1, 1, 4}, {0, 1, 2, 3});
  const Tensor none;
  auto resize = [&](const std::string& coord, const std::string& nearest, int64_t size) {
    return values(
        run1(make_node("Resize", 4,
                       {{"coordinate_transformation_mode", coord}, {"nearest_mode", nearest}}),
             {x, none, none, I64({1, 1, 1, size})}, 13));
  };
  EXPECT_EQ(resize("asymmetric", "floor", 8), (std::vector<float>{0, 0, 1, 1, 2, 2, 3, 3}));
  EXPECT_EQ(resize("asymmetric", "ceil", 8), (std::vector<float>{0, 1, 1, 2, 2, 3, 3, 3}));
  // half_pixel at scale 1.5 hits the ties x = 0.5 and 2.5.
  EXPECT_EQ(resize("half_pixel", "round_prefer_floor", 6), (std::vector<float>{0, 0, 1, 2, 2, 3}));
  EXPECT_EQ(resize("half_pixel", "round_prefer_ceil", 6), (std::vector<float>{0, 1, 1, 2, 3, 3}));
  EXPECT_EQ(resize("align_corners", "round_prefer_floor", 3), (std::vector<float>{0, 1, 3}));
  const Node lin = make_node("Resize", 4,
                             {{"mode", std::string("linear")},
                              {"coordinate_transformation_mode", std::string("align_corners")}});
  const auto l = values(run1(lin, {x, none, none, I64({1, 1, 1, 7})}, 13));
  for (int i = 0; i < 7; ++i) EXPECT_NEAR(l[i], i * 0.5, 1e-6);
}

TEST(OpsetForms, CastTruncatesWrapsAndTestsNonZero) {
  const Tensor x = F({5}, {-1.7f, 2.9f, 300.f, 0.f, 0.25f});
  const Tensor i8 = run1(make_node("Cast", 1, {{"to", int64_t{3}}}), {x});
  ASSERT_EQ(i8.dtype(), DType::kInt8);
  EXPECT_EQ(std::vector<int8_t>(i8.as<int8_t>().begin(), i8.as<int8_t>().end()),
            (std::vector<int8_t>{-1, 2, 44, 0, 0}));  // 300 wraps modulo 256
  const Tensor b = run1(make_node("Cast", 1, {{"to", int64_t{9}}}), {x});
  EXPECT_EQ(std::vector<uint8_t>(b.as<uint8_t>().begin(), b.as<uint8_t>().end()),
            (std::vector<uint8_t>{1, 1, 1, 0, 1}));
  const Tensor f = run1(make_node("Cast", 1, {{"to", int64_t{1}}}), {I64({-3, 1})});
  EXPECT_EQ(values(f), (std::vector<float>{-3, 1}));
  EXPECT_NE(error_of([&] {
              run(make_node("Cast", 1, {{"to", int64_t{11}}}), {x});
            }).find("ONNX type 11"),
            std::string::npos);
}

// ---- convolutions against naive loops ----

struct ConvCase {
  Shape x, w;
  std::map<std::string, Attribute> attrs;
  int64_t group = 1;
};

// Naive N-d convolution (+ bias) with explicit pads.
Tensor naive_conv(const Tensor& x, const Tensor& w, const Tensor& b, const Shape& out_shape,
                  const std::vector<int64_t>& strides, const std::vector<int64_t>& dil,
                  const std::vector<int64_t>& pads, int64_t group) {
  Tensor y(DType::kFloat32, out_shape);
  const size_t r = x.shape().size() - 2;
  const int64_t C = x.shape()[1], M = w.shape()[0], Cg = C / group, Mg = M / group;
  const Shape in(x.shape().begin() + 2, x.shape().end()), k(w.shape().begin() + 2, w.shape().end());
  const Shape out(out_shape.begin() + 2, out_shape.end());
  const int64_t out_size = element_count(out), k_size = element_count(k),
                in_size = element_count(in);
  std::vector<int64_t> o(r), kk(r);
  for (int64_t n = 0; n < x.shape()[0]; ++n)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t p = 0; p < out_size; ++p) {
        for (int64_t d = r - 1, rem = p; d >= 0; --d) o[d] = rem % out[d], rem /= out[d];
        double acc = b.size() ? b.at(m) : 0.0;
        for (int64_t c = 0; c < Cg; ++c)
          for (int64_t q = 0; q < k_size; ++q) {
            for (int64_t d = r - 1, rem = q; d >= 0; --d) kk[d] = rem % k[d], rem /= k[d];
            int64_t off = 0;
            bool inside = true;
            for (size_t d = 0; d < r; ++d) {
              const int64_t i = o[d] * strides[d] - pads[d] + kk[d] * dil[d];
              inside = inside && i >= 0 && i < in[d];
              off = off * in[d] + i;
            }
            if (!inside) continue;
            const int64_t ic = (m / Mg) * Cg + c;
            acc += double(x.at((n * C + ic) * in_size + off)) * w.at((m * Cg + c) * k_size + q);
          }
        y.as<float>()[(n * M + m) * out_size + p] = static_cast<float>(acc);
      }
  return y;
}

TEST(Conv, MatchesNaiveLoopsForManyGeometries) {
  struct G {
    Shape x, w;
    std::vector<int64_t> strides, dil, pads;
    int64_t group;
  };
  const std::vector<G> cases = {
      {{1, 3, 9, 7}, {4, 3, 3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 1},
      {{2, 4, 10, 11}, {6, 2, 3, 2}, {2, 3}, {1, 2}, {0, 1, 2, 0}, 2},
      {{1, 8, 6, 6}, {8, 1, 3, 3}, {1, 1}, {2, 2}, {2, 2, 2, 2}, 8},  // depthwise, dilated
      {{1, 5, 4, 4}, {7, 5, 1, 1}, {1, 1}, {1, 1}, {0, 0, 0, 0}, 1},  // pointwise
      {{1, 2, 13}, {3, 2, 4}, {2}, {1}, {1, 2}, 1},                   // 1-D
      {{1, 2, 4, 5, 6}, {2, 2, 2, 3, 2}, {1, 2, 1}, {1, 1, 2}, {1, 0, 1, 0, 1, 1}, 1},  // 3-D
      {{1, 70, 5, 40}, {20, 70, 3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 1},  // several GEMM blocks
  };
  uint32_t seed = 1;
  for (const auto& g : cases) {
    const Tensor x = random_tensor(g.x, seed++), w = random_tensor(g.w, seed++);
    const Tensor b = random_tensor({g.w[0]}, seed++);
    const Node n = make_node(
        "Conv", 3,
        {{"strides", g.strides}, {"dilations", g.dil}, {"pads", g.pads}, {"group", g.group}});
    const Tensor y = run1(n, {x, w, b});
    Shape out = {g.x[0], g.w[0]};
    const size_t r = g.x.size() - 2;
    for (size_t d = 0; d < r; ++d)
      out.push_back((g.x[d + 2] + g.pads[d] + g.pads[d + r] - (g.w[d + 2] - 1) * g.dil[d] - 1) /
                        g.strides[d] +
                    1);
    SCOPED_TRACE(shape_string(g.x) + " * " + shape_string(g.w));
    expect_near(y, naive_conv(x, w, b, out, g.strides, g.dil, g.pads, g.group));
  }
}

TEST(Conv, AutoPadSameLowerAndUpper) {
  const Tensor x = random_tensor({1, 1, 5, 5}, 7), w = random_tensor({1, 1, 2, 2}, 8), none;
  for (const std::string mode : {"SAME_UPPER", "SAME_LOWER"}) {
    const Tensor y = run1(make_node("Conv", 3, {{"auto_pad", mode}}), {x, w, none});
    ASSERT_EQ(y.shape(), (Shape{1, 1, 5, 5}));
    const std::vector<int64_t> pads =
        mode == "SAME_UPPER" ? std::vector<int64_t>{0, 0, 1, 1} : std::vector<int64_t>{1, 1, 0, 0};
    expect_near(y,
                naive_conv(x, w, Tensor(DType::kFloat32, {0}), y.shape(), {1, 1}, {1, 1}, pads, 1));
  }
}

TEST(Conv, ConvTransposeMatchesScatterLoops) {
  const Tensor x = random_tensor({1, 4, 3, 5}, 11), w = random_tensor({4, 3, 3, 2}, 12);
  const Tensor b = random_tensor({6}, 13);
  const Node n = make_node("ConvTranspose", 3,
                           {{"strides", std::vector<int64_t>{2, 3}},
                            {"pads", std::vector<int64_t>{1, 0, 0, 1}},
                            {"dilations", std::vector<int64_t>{1, 2}},
                            {"output_padding", std::vector<int64_t>{1, 0}},
                            {"group", int64_t{2}}});
  const Tensor y = run1(n, {x, w, b});
  // out = s * (in - 1) + out_pad + (k - 1) * d + 1 - pads
  ASSERT_EQ(y.shape(), (Shape{1, 6, 2 * 2 + 1 + 3 - 1, 3 * 4 + 0 + 2 + 1 - 1}));
  Tensor want(DType::kFloat32, y.shape());
  auto o = want.as<float>();
  const int64_t OH = y.shape()[2], OW = y.shape()[3];
  for (int64_t c = 0; c < 4; ++c)
    for (int64_t m = 0; m < 3; ++m)
      for (int64_t ih = 0; ih < 3; ++ih)
        for (int64_t iw = 0; iw < 5; ++iw)
          for (int64_t kh = 0; kh < 3; ++kh)
            for (int64_t kw = 0; kw < 2; ++kw) {
              const int64_t oh = ih * 2 - 1 + kh, ow = iw * 3 + kw * 2;
              const int64_t oc = (c / 2) * 3 + m;
              if (oh < 0 || oh >= OH || ow < 0 || ow >= OW) continue;
              o[(oc * OH + oh) * OW + ow] +=
                  float(x.at((c * 3 + ih) * 5 + iw) * w.at(((c * 3 + m) * 3 + kh) * 2 + kw));
            }
  for (int64_t i = 0; i < want.size(); ++i) o[i] += b.as<float>()[i / (OH * OW)];
  expect_near(y, want);
}

TEST(Conv, QLinearConvPerChannelMatchesFloatDefinition) {
  std::mt19937 gen(3);
  Tensor x(DType::kUint8, {1, 2, 5, 5}), w(DType::kInt8, {3, 2, 3, 3});
  for (auto& v : x.as<uint8_t>()) v = static_cast<uint8_t>(gen() % 256);
  for (auto& v : w.as<int8_t>()) v = static_cast<int8_t>(int(gen() % 255) - 127);
  const Tensor xs = F({}, {0.02f}), ws = F({3}, {0.01f, 0.02f, 0.005f}), ys = F({}, {0.1f});
  const Tensor xzp = Tensor::from(DType::kUint8, {}, std::vector<uint8_t>{128});
  const Tensor wzp = Tensor::from(DType::kInt8, {3}, std::vector<int8_t>{0, 0, 0});
  const Tensor yzp = Tensor::from(DType::kInt8, {}, std::vector<int8_t>{-3});
  const Tensor bias = Tensor::from(DType::kInt32, {3}, std::vector<int32_t>{100, -50, 7});
  const Node n = make_node("QLinearConv", 9, {{"pads", std::vector<int64_t>{1, 1, 1, 1}}});
  const Tensor y = run1(n, {x, xs, xzp, w, ws, wzp, ys, yzp, bias});
  ASSERT_EQ(y.dtype(), DType::kInt8);
  ASSERT_EQ(y.shape(), (Shape{1, 3, 5, 5}));
  for (int64_t m = 0; m < 3; ++m)
    for (int64_t oh = 0; oh < 5; ++oh)
      for (int64_t ow = 0; ow < 5; ++ow) {
        int32_t acc = bias.as<int32_t>()[m];
        for (int64_t c = 0; c < 2; ++c)
          for (int64_t kh = 0; kh < 3; ++kh)
            for (int64_t kw = 0; kw < 3; ++kw) {
              const int64_t ih = oh - 1 + kh, iw = ow - 1 + kw;
              if (ih < 0 || ih >= 5 || iw < 0 || iw >= 5) continue;
              acc += (int32_t(x.at((c * 5 + ih) * 5 + iw)) - 128) *
                     int32_t(w.at(((m * 2 + c) * 3 + kh) * 3 + kw));
            }
        const float scale = 0.02f * ws.as<float>()[m] / 0.1f;
        const float want = std::clamp(std::nearbyint(float(acc) * scale) - 3.f, -128.f, 127.f);
        ASSERT_EQ(y.at((m * 5 + oh) * 5 + ow), want) << m << "," << oh << "," << ow;
      }
}

// ---- matrix products ----

TEST(MatrixProducts, GemmTransposesAlphaBetaAndBroadcastBias) {
  const int64_t M = 37, N = 45, K = 300;  // crosses the packing block edges
  const Tensor a = random_tensor({K, M}, 21), b = random_tensor({N, K}, 22);
  const Tensor c = random_tensor({N}, 23);
  const Node n = make_node(
      "Gemm", 3, {{"transA", int64_t{1}}, {"transB", int64_t{1}}, {"alpha", 0.5f}, {"beta", 2.f}});
  const Tensor y = run1(n, {a, b, c});
  ASSERT_EQ(y.shape(), (Shape{M, N}));
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double acc = 0;
      for (int64_t k = 0; k < K; ++k) acc += a.at(k * M + i) * b.at(j * K + k);
      ASSERT_NEAR(y.at(i * N + j), 0.5 * acc + 2 * c.at(j), 1e-4) << i << "," << j;
    }
}

TEST(MatrixProducts, MatMulBroadcastsBatchesAndPromotesVectors) {
  const Tensor a = random_tensor({2, 1, 3, 4}, 31), b = random_tensor({3, 4, 5}, 32);
  const Tensor y = run1(make_node("MatMul", 2), {a, b});
  ASSERT_EQ(y.shape(), (Shape{2, 3, 3, 5}));
  for (int64_t p = 0; p < 2; ++p)
    for (int64_t q = 0; q < 3; ++q)
      for (int64_t i = 0; i < 3; ++i)
        for (int64_t j = 0; j < 5; ++j) {
          double acc = 0;
          for (int64_t k = 0; k < 4; ++k)
            acc += a.at((p * 3 + i) * 4 + k) * b.at((q * 4 + k) * 5 + j);
          ASSERT_NEAR(y.at(((p * 3 + q) * 3 + i) * 5 + j), acc, 1e-5);
        }
  EXPECT_EQ(run1(make_node("MatMul", 2), {random_tensor({4}, 1), b}).shape(), (Shape{3, 5}));
  EXPECT_EQ(run1(make_node("MatMul", 2), {a, random_tensor({4}, 2)}).shape(), (Shape{2, 1, 3}));
}

// ---- graphs ----

// y = Relu(x + c) -> Mul by 2, with a recorded shape for every value.
Graph small_graph() {
  Graph g;
  g.opset = 17;
  g.inputs = {"x"};
  g.outputs = {"y"};
  for (const char* v : {"x", "s", "r", "y"}) {
    Value& val = g.values[v];
    val.name = v;
    val.dtype = DType::kFloat32;
    val.shape = {2};
    val.rank_known = true;
  }
  g.values["c"].name = "c";
  g.values["c"].constant = F({2}, {1, -10});
  g.values["two"].name = "two";
  g.values["two"].constant = F({}, {2});
  g.nodes.push_back({"add", "Add", "", {"x", "c"}, {"s"}, {}});
  g.nodes.push_back({"relu", "Relu", "", {"s"}, {"r"}, {}});
  g.nodes.push_back({"mul", "Mul", "", {"r", "two"}, {"y"}, {}});
  return g;
}

TEST(Graphs, ExecutesAndKeepsIntermediatesOnRequest) {
  const Graph g = small_graph();
  const TensorMap out = execute(g, {{"x", F({2}, {1, 2})}});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(values(out.at("y")), (std::vector<float>{4, 0}));
  ExecOptions keep;
  keep.keep_intermediates = true;
  const TensorMap all = execute(g, {{"x", F({2}, {1, 2})}}, keep);
  EXPECT_EQ(values(all.at("s")), (std::vector<float>{2, -8}));
  EXPECT_EQ(values(all.at("r")), (std::vector<float>{2, 0}));
}

TEST(Graphs, InputErrorsNameTheInput) {
  const Graph g = small_graph();
  EXPECT_NE(error_of([&] { execute(g, {}); }).find("graph input 'x' was not provided"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              execute(g, {{"x", F({3}, {1, 2, 3})}});
            }).find("graph input 'x'"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              execute(g, {{"x", F({2}, {1, 2})}, {"z", F({}, {0})}});
            }).find("'z' is not an input"),
            std::string::npos);
}

TEST(Graphs, RecordedShapeMismatchNamesNodeAndValue) {
  Graph g = small_graph();
  g.values["r"].shape = {3};
  const std::string msg = error_of([&] { execute(g, {{"x", F({2}, {1, 2})}}); });
  EXPECT_NE(msg.find("Relu 'relu'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'r' is float32 2 but the graph records float32 3"), std::string::npos) << msg;
}

// ---- error messages ----

TEST(Errors, UnknownOpNamesNodeAndOp) {
  Node n = make_node("FancyOp", 1);
  n.name = "layer7";
  const std::string msg = error_of([&] { run(n, {F({1}, {0})}); });
  EXPECT_NE(msg.find("FancyOp 'layer7'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("op 'FancyOp' is not supported"), std::string::npos) << msg;
  EXPECT_FALSE(executor_supports("FancyOp"));
  EXPECT_TRUE(executor_supports("Conv"));
  EXPECT_TRUE(executor_supports("Conv", "ai.onnx"));
  EXPECT_FALSE(executor_supports("Conv", "com.microsoft"));
  n.domain = "com.microsoft";
  const std::string other = error_of([&] { run(n, {F({1}, {0})}); });
  EXPECT_NE(other.find("op 'com.microsoft.FancyOp' is not supported"), std::string::npos) << other;
}

TEST(Errors, BadRankNamesNodeAndRank) {
  Node n = make_node("Conv", 2);
  n.name = "conv1";
  const std::string msg = error_of([&] { run(n, {F({2, 2}, {0, 0, 0, 0}), F({1, 1}, {0})}); });
  EXPECT_NE(msg.find("Conv 'conv1'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("rank 2"), std::string::npos) << msg;
}

TEST(Errors, MissingInputAndWrongDtypeAndAttribute) {
  const std::string missing = error_of([] { run(make_node("Add", 1), {F({1}, {0})}); });
  EXPECT_NE(missing.find("input 1"), std::string::npos) << missing;
  const Tensor i = Tensor::from(DType::kInt32, {1}, std::vector<int32_t>{1});
  const std::string dtype = error_of([&] { run(make_node("Sqrt", 1), {i}); });
  EXPECT_NE(dtype.find("int32"), std::string::npos) << dtype;
  const Node bad_attr = make_node("Softmax", 1, {{"axis", std::string("one")}});
  const std::string attr = error_of([&] { run(bad_attr, {F({1}, {0})}); });
  EXPECT_NE(attr.find("attribute 'axis'"), std::string::npos) << attr;
  const std::string mode = error_of([] {
    run(make_node("Pad", 2, {{"mode", std::string("wrap")}}), {F({1}, {0}), I64({0, 0})});
  });
  EXPECT_NE(mode.find("mode 'wrap'"), std::string::npos) << mode;
}

}  // namespace
}  // namespace npusim::compiler
