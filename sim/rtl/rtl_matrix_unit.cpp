// Driver of the verilated systolic array: feeds weight rows and input
// vectors through the RTL's handshake and counts clock edges (docs/rtl.md).
#include "rtl_matrix_unit.hpp"

#include <stdexcept>
#include <string>
#include <type_traits>

#include "Vsystolic_array.h"
#include "Vsystolic_array_12x8.h"
#include "verilated.h"

namespace npusim::sim::rtl {
namespace {

constexpr int kOperandMin = -256, kOperandMax = 255;  // signed 9-bit

// The inputs of one clock cycle; null rows drive zeros.
struct Beat {
  bool start = false, w_valid = false, in_valid = false;
  uint32_t num_vectors = 0;
  const int16_t* w_row = nullptr;   // cols values
  const int16_t* in_vec = nullptr;  // rows values
};

// The model's registered outputs after a clock edge.
struct Status {
  bool start_ready = false, in_ready = false, out_valid = false, done = false;
};

// Verilator keeps a 9-bit port in 16 bits and expects the unused bits clear.
uint16_t to_port9(int16_t v) {
  return static_cast<uint16_t>(v) & 0x1ff;
}

}  // namespace

// The verilated model behind a geometry-independent interface.
class RtlMatrixUnit::Model {
 public:
  virtual ~Model() = default;
  virtual ArrayShape shape() const = 0;
  virtual Status status() const = 0;
  virtual void read_output(int32_t* out) const = 0;  // cols values
  virtual void cycle(const Beat& beat) = 0;          // drive inputs, one rising edge
  uint64_t edges = 0;                                // rising edges since reset
};

namespace {

template <class V, int Rows, int Cols>
class VerilatedModel final : public RtlMatrixUnit::Model {
 public:
  VerilatedModel() {
    static_assert(std::extent_v<std::remove_reference_t<decltype(V::in_vec)>> == Rows &&
                  std::extent_v<std::remove_reference_t<decltype(V::w_row)>> == Cols);
    top_.rst_n = 0;
    for (int i = 0; i < 2; ++i) cycle(Beat{});
    top_.rst_n = 1;
    edges = 0;
  }
  ~VerilatedModel() override { top_.final(); }

  ArrayShape shape() const override { return {Rows, Cols}; }

  Status status() const override {
    return {top_.start_ready != 0, top_.in_ready != 0, top_.out_valid != 0, top_.done != 0};
  }

  void read_output(int32_t* out) const override {
    for (int c = 0; c < Cols; ++c) out[c] = static_cast<int32_t>(top_.out_vec[c]);
  }

  void cycle(const Beat& b) override {
    top_.start = b.start;
    top_.num_vectors = b.num_vectors;
    top_.w_valid = b.w_valid;
    top_.in_valid = b.in_valid;
    for (int c = 0; c < Cols; ++c) top_.w_row[c] = b.w_row ? to_port9(b.w_row[c]) : 0;
    for (int r = 0; r < Rows; ++r) top_.in_vec[r] = b.in_vec ? to_port9(b.in_vec[r]) : 0;
    top_.clk = 1;
    top_.eval();
    top_.clk = 0;
    top_.eval();
    ++edges;
  }

 private:
  VerilatedContext context_;
  V top_{&context_, "systolic_array"};
};

std::unique_ptr<RtlMatrixUnit::Model> make_model(ArrayShape s) {
  if (s == ArrayShape{16, 16}) return std::make_unique<VerilatedModel<Vsystolic_array, 16, 16>>();
  if (s == ArrayShape{12, 8})
    return std::make_unique<VerilatedModel<Vsystolic_array_12x8, 12, 8>>();
  throw std::invalid_argument("no verilated systolic array of " + std::to_string(s.rows) + "x" +
                              std::to_string(s.cols) + " is built (see available_shapes())");
}

int ceil_div(int a, int b) {
  return (a + b - 1) / b;
}

int32_t wrap_add(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}

struct Gemm {
  std::span<const int16_t> a, w;  // [m][k], [n][k]
  int m, k, n;
};

void check_gemm(const Gemm& g) {
  if (g.m < 1 || g.k < 1 || g.n < 1) throw std::invalid_argument("gemm sizes must be >= 1");
  if (g.a.size() != size_t(g.m) * g.k || g.w.size() != size_t(g.n) * g.k)
    throw std::invalid_argument("gemm operand sizes do not match m, k, n");
  for (auto span : {g.a, g.w})
    for (int16_t v : span)
      if (v < kOperandMin || v > kOperandMax)
        throw std::invalid_argument("operand " + std::to_string(v) + " does not fit 9 bits");
}

// Runs the passes of one GEMM back to back. Each cycle it first collects the
// output the last edge produced, then offers the next beat the RTL is ready
// for: the start and weight rows of a pass, then its m input vectors.
class GemmRunner {
 public:
  GemmRunner(RtlMatrixUnit::Model& model, const Gemm& g, RunOptions options)
      : model_(model), g_(g), options_(options), shape_(model.shape()) {
    k_tiles_ = ceil_div(g.k, shape_.rows);
    passes_ = k_tiles_ * ceil_div(g.n, shape_.cols);
    w_row_.resize(shape_.cols);
    in_vec_.resize(shape_.rows);
    out_vec_.resize(shape_.cols);
    run_.out.assign(size_t(g.m) * g.n, 0);
  }

  RtlRun run() {
    // A generous bound: every pass at the formula's length, doubled for stalls.
    const uint64_t limit =
        model_.edges + 2ull * passes_ * (2 * shape_.rows + shape_.cols + g_.m) + 64;
    while (true) {
      const Status s = model_.status();
      collect(s);
      if (out_pass_ == passes_) break;
      if (model_.edges > limit) throw std::runtime_error("RTL stopped producing outputs");
      model_.cycle(next_beat(s));
    }
    run_.cycles = model_.edges - start_edge_.front() + 1;
    // One idle edge retires the pass (done -> Idle), so the next run does not
    // see this run's last output; it is not part of this run's cycles.
    model_.cycle({});
    return std::move(run_);
  }

 private:
  int k0(int pass) const { return pass % k_tiles_ * shape_.rows; }
  int n0(int pass) const { return pass / k_tiles_ * shape_.cols; }

  void collect(const Status& s) {
    if (!s.out_valid) return;
    model_.read_output(out_vec_.data());
    const int base = n0(out_pass_), row = out_row_++;
    for (int c = 0; c < shape_.cols && base + c < g_.n; ++c) {
      int32_t& o = run_.out[size_t(row) * g_.n + base + c];
      o = wrap_add(o, out_vec_[c]);
    }
    if (!s.done) return;
    if (out_row_ != g_.m) throw std::runtime_error("RTL pass ended after a wrong vector count");
    run_.pass_cycles.push_back(model_.edges - start_edge_[out_pass_] + 1);
    ++out_pass_;
    out_row_ = 0;
  }

  Beat next_beat(const Status& s) {
    if (feed_pass_ == passes_) return {};
    if (feed_beat_ == 0) {
      if (!s.start_ready) return {};
      start_edge_.push_back(model_.edges + 1);  // the edge this beat is taken on
      Beat b = weight_beat();
      b.start = true;
      b.num_vectors = static_cast<uint32_t>(g_.m);
      return b;
    }
    const bool weights = feed_beat_ < shape_.rows;
    if (!weights && !s.in_ready) return {};
    if (stall()) return {};
    return weights ? weight_beat() : input_beat();
  }

  // Rows shift in at the top of the array, so the last row goes first.
  Beat weight_beat() {
    const int k = k0(feed_pass_) + shape_.rows - 1 - feed_beat_, n = n0(feed_pass_);
    for (int c = 0; c < shape_.cols; ++c)
      w_row_[c] = k < g_.k && n + c < g_.n ? g_.w[size_t(n + c) * g_.k + k] : 0;
    ++feed_beat_;
    Beat b;
    b.w_valid = true;
    b.w_row = w_row_.data();
    return b;
  }

  Beat input_beat() {
    const int p = feed_beat_ - shape_.rows, k = k0(feed_pass_);
    for (int r = 0; r < shape_.rows; ++r)
      in_vec_[r] = k + r < g_.k ? g_.a[size_t(p) * g_.k + k + r] : 0;
    if (++feed_beat_ == shape_.rows + g_.m) {
      ++feed_pass_;
      feed_beat_ = 0;
    }
    Beat b;
    b.in_valid = true;
    b.in_vec = in_vec_.data();
    return b;
  }

  bool stall() {
    if (options_.stall_period <= 0 || ++beat_slots_ % options_.stall_period != 0) return false;
    ++run_.stall_cycles;
    return true;
  }

  RtlMatrixUnit::Model& model_;
  const Gemm& g_;
  const RunOptions options_;
  const ArrayShape shape_;
  int k_tiles_ = 0, passes_ = 0;
  int feed_pass_ = 0, feed_beat_ = 0;  // beats: rows weight rows, then m vectors
  int out_pass_ = 0, out_row_ = 0;
  uint64_t beat_slots_ = 0;
  std::vector<uint64_t> start_edge_;
  std::vector<int16_t> w_row_, in_vec_;
  std::vector<int32_t> out_vec_;
  RtlRun run_;
};

std::vector<int16_t> centred(const Operand8& op, size_t count, const char* name) {
  if (op.data.size() != count)
    throw std::invalid_argument(std::string(name) + " size does not match m, k, n");
  std::vector<int16_t> v(count);
  for (size_t i = 0; i < count; ++i) {
    const int32_t x = op.is_signed ? int32_t(int8_t(op.data[i])) : int32_t(op.data[i]);
    const int64_t d = int64_t(x) - op.zero_point;
    if (d < kOperandMin || d > kOperandMax)
      throw std::invalid_argument(std::string(name) + " minus its zero point does not fit 9 bits");
    v[i] = static_cast<int16_t>(d);
  }
  return v;
}

}  // namespace

std::vector<ArrayShape> available_shapes() {
  return {{16, 16}, {12, 8}};
}

RtlMatrixUnit::RtlMatrixUnit(ArrayShape shape) : model_(make_model(shape)) {}
RtlMatrixUnit::~RtlMatrixUnit() = default;

ArrayShape RtlMatrixUnit::shape() const {
  return model_->shape();
}

uint64_t RtlMatrixUnit::simulated_cycles() const {
  return model_->edges;
}

RtlRun RtlMatrixUnit::gemm(std::span<const int16_t> a, std::span<const int16_t> w, int m, int k,
                           int n, RunOptions options) {
  const Gemm g{a, w, m, k, n};
  check_gemm(g);
  return GemmRunner(*model_, g, options).run();
}

RtlRun RtlMatrixUnit::pass(std::span<const int16_t> a, std::span<const int16_t> w, int p, int k,
                           int n) {
  if (k > shape().rows || n > shape().cols)
    throw std::invalid_argument("a single pass needs k <= rows and n <= cols");
  return gemm(a, w, p, k, n);
}

RtlRun RtlMatrixUnit::mat_mm(const Operand8& src, const Operand8& wgt, int m, int k, int n) {
  if (m < 1 || k < 1 || n < 1) throw std::invalid_argument("mat.mm sizes must be >= 1");
  const std::vector<int16_t> a = centred(src, size_t(m) * k, "src");
  const std::vector<int16_t> w = centred(wgt, size_t(n) * k, "wgt");
  return gemm(a, w, m, k, n);
}

}  // namespace npusim::sim::rtl
