// The limits every tool checks before it allocates, in one place
// (docs/limits.md lists them with the reasons). A value past a limit is
// refused with a message naming the file, tensor or option, the value and
// the limit, never met with std::bad_alloc, a crash or an endless loop.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace npusim::limits {

// Elements of one tensor (2^31: every index fits an int32, and the largest
// model input we know of is under 2^26).
inline constexpr uint64_t kMaxTensorElements = uint64_t{1} << 31;
// Bytes of one tensor (4 GiB).
inline constexpr uint64_t kMaxTensorBytes = uint64_t{4} << 30;
// Bytes of all the tensors of one graph with known shapes (16 GiB).
inline constexpr uint64_t kMaxGraphBytes = uint64_t{16} << 30;
// Instructions the compiler may emit for one program (all streams); a
// real model needs well under a million.
inline constexpr uint64_t kMaxInstructions = uint64_t{1} << 26;
// Pixels of one decoded image (8192 x 8192).
inline constexpr uint64_t kMaxImagePixels = uint64_t{8192} * 8192;
// Files read whole, by kind.
inline constexpr uint64_t kMaxModelFileBytes = uint64_t{2} << 30;    // ONNX (protobuf's limit)
inline constexpr uint64_t kMaxProgramFileBytes = uint64_t{4} << 30;  // .npub
inline constexpr uint64_t kMaxTextFileBytes = uint64_t{256} << 20;   // assembly text
inline constexpr uint64_t kMaxParamFileBytes = uint64_t{1} << 20;    // --hw files
inline constexpr uint64_t kMaxJsonFileBytes = uint64_t{64} << 20;    // ranges files
inline constexpr uint64_t kMaxNpyFileBytes = uint64_t{4} << 30;      // .npy inputs
inline constexpr uint64_t kMaxImageFileBytes = uint64_t{256} << 20;  // PNG, JPEG, BMP
// Bench and runner options.
inline constexpr uint64_t kMaxQueries = uint64_t{1'000'000'000};
inline constexpr int kMaxWorkers = 1024;
// Images per batch of a compiled program (compile/run/bench --batch): the
// NPU code is emitted once per image, so a program grows with its batch.
inline constexpr int kMaxBatch = 256;
inline constexpr double kMaxDurationSeconds = 7 * 24 * 3600.0;
// Characters of a user's value echoed back in a message (the rest is elided).
inline constexpr size_t kMaxEchoChars = 80;

class LimitError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Elements of `shape` (dims must be >= 0), checked against kMaxTensorElements
// and, with `element_bytes`, kMaxTensorBytes. Throws LimitError naming `what`
// (e.g. "tensor \"x\"") with the shape and the limit; never overflows.
uint64_t checked_elements(const std::vector<int64_t>& shape, uint64_t element_bytes,
                          const std::string& what);

// `text` cut to kMaxEchoChars with "... (N characters)" appended when longer.
std::string echo(const std::string& text);

}  // namespace npusim::limits
