#include "onnx_schema_guard.hpp"

#include <onnx/defs/shape_inference.h>

#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <tuple>

namespace npusim::compiler {
namespace {

// The input holding the weights of the ops whose shape inference takes the
// kernel's rank from them.
const std::map<std::string, size_t>& weight_inputs() {
  static const std::map<std::string, size_t> inputs = {
      {"Conv", 1}, {"ConvInteger", 1}, {"ConvTranspose", 1}, {"QLinearConv", 3}};
  return inputs;
}

int known_rank(onnx::InferenceContext& ctx, size_t i) {
  return onnx::hasInputShape(ctx, i) ? onnx::getInputShape(ctx, i).dim_size() : -1;
}

// The input and the weights have the same rank: N, C and one dim per
// spatial axis against M, C/group and the kernel's dims. Not an
// onnx::InferenceError, which shape inference would note and go past.
void check_weight_rank(onnx::InferenceContext& ctx, const std::string& op, size_t w) {
  const int x_rank = known_rank(ctx, 0), w_rank = known_rank(ctx, w);
  if (x_rank >= 0 && w_rank >= 0 && x_rank != w_rank)
    throw std::runtime_error("a " + op + " node's weights (input " + std::to_string(w) +
                             ") have rank " + std::to_string(w_rank) + " but its input has rank " +
                             std::to_string(x_rank) + "; they must be equal");
}

class GuardedSchemas : public onnx::ISchemaRegistry {
 public:
  const onnx::OpSchema* GetSchema(const std::string& key, const int max_version,
                                  const std::string& domain) const override {
    const onnx::OpSchema* schema = onnx::OpSchemaRegistry::Schema(key, max_version, domain);
    const auto w = weight_inputs().find(key);
    if (!schema || !domain.empty() || w == weight_inputs().end()) return schema;
    std::lock_guard<std::mutex> lock(mutex_);
    auto& guarded = cache_[{key, schema->SinceVersion()}];
    if (!guarded) {
      guarded = std::make_unique<onnx::OpSchema>(*schema);
      guarded->TypeAndShapeInferenceFunction(
          [op = key, index = w->second,
           infer = schema->GetTypeAndShapeInferenceFunction()](onnx::InferenceContext& ctx) {
            check_weight_rank(ctx, op, index);
            if (infer) infer(ctx);
          });
    }
    return guarded.get();
  }

 private:
  mutable std::mutex mutex_;
  mutable std::map<std::tuple<std::string, int>, std::unique_ptr<onnx::OpSchema>> cache_;
};

}  // namespace

const onnx::ISchemaRegistry* guarded_schemas() {
  static const GuardedSchemas registry;
  return &registry;
}

}  // namespace npusim::compiler
