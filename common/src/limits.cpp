// Checked tensor sizes and bounded echoes (limits.hpp).
#include "npusim/common/limits.hpp"

namespace npusim::limits {
namespace {

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace

uint64_t checked_elements(const std::vector<int64_t>& shape, uint64_t element_bytes,
                          const std::string& what) {
  uint64_t n = 1;
  for (const int64_t d : shape)
    if (d < 0) throw LimitError(what + " has a negative dimension in shape " + shape_text(shape));
  for (const int64_t d : shape) {
    if (d == 0) return 0;
  }
  for (const int64_t d : shape) {
    if (uint64_t(d) > kMaxTensorElements / n)
      throw LimitError(what + " of shape " + shape_text(shape) + " has more than " +
                       std::to_string(kMaxTensorElements) +
                       " elements, the limit per tensor (docs/limits.md)");
    n *= uint64_t(d);
  }
  if (element_bytes > 0 && n > kMaxTensorBytes / element_bytes)
    throw LimitError(what + " of shape " + shape_text(shape) + " needs " +
                     std::to_string(n * element_bytes) + " bytes, more than the " +
                     std::to_string(kMaxTensorBytes) + " allowed per tensor (docs/limits.md)");
  return n;
}

std::string echo(const std::string& text) {
  if (text.size() <= kMaxEchoChars) return text;
  return text.substr(0, kMaxEchoChars) + "... (" + std::to_string(text.size()) + " characters)";
}

}  // namespace npusim::limits
