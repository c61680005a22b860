// Finding BlazeFace's four outputs by shape: exports name them differently
// ("classificators", "regressors", "Identity_1:0", ...), shapes never change.
#include <stdexcept>

#include "npusim/vision/blazeface.hpp"
#include "tensor_checks.hpp"

namespace npusim::vision {

namespace {

struct Wanted {
  compiler::Shape shape;
  const char* role;
  const compiler::Tensor* BlazeFaceOutputs::*slot;
};

const Wanted kWanted[] = {
    {{1, 512, 1}, "stride-8 scores", &BlazeFaceOutputs::scores8},
    {{1, 384, 1}, "stride-16 scores", &BlazeFaceOutputs::scores16},
    {{1, 512, 16}, "stride-8 boxes", &BlazeFaceOutputs::boxes8},
    {{1, 384, 16}, "stride-16 boxes", &BlazeFaceOutputs::boxes16},
};

}  // namespace

BlazeFaceOutputs find_blazeface_outputs(const compiler::TensorMap& outputs) {
  BlazeFaceOutputs found;
  std::string missing, duplicated;
  for (const Wanted& w : kWanted) {
    int matches = 0;
    for (const auto& [name, t] : outputs)
      if (t.shape() == w.shape) {
        found.*w.slot = &t;
        ++matches;
      }
    const std::string what = std::string(w.role) + " [" + compiler::shape_string(w.shape) + "]";
    if (matches == 0) missing += (missing.empty() ? "" : ", ") + what;
    if (matches > 1) duplicated += (duplicated.empty() ? "" : ", ") + what;
  }
  const std::string have = " (outputs: " + detail::list_tensors(outputs) + ")";
  if (!missing.empty())
    throw std::runtime_error("BlazeFace decode: missing output " + missing + have);
  if (!duplicated.empty())
    throw std::runtime_error("BlazeFace decode: more than one output of shape " + duplicated +
                             have);
  return found;
}

}  // namespace npusim::vision
