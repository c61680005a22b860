// Errors of the runtime API, with a kind an application can branch on and a
// message that names the model, tensor, device or request.
#pragma once

#include <stdexcept>
#include <string>

namespace npusim::runtime {

enum class RuntimeErrorKind {
  kInvalidInput,  // wrong tensor name, dtype, shape or count
  kBusy,          // the device (PE) is in use by another runner
  kDevice,        // the device reported an error while running the request
  kTimeout,       // a wait ran out of (wall-clock) time
  kClosed,        // the runner or queue was closed
  kModel,         // the model could not be loaded or compiled
};

class RuntimeError : public std::runtime_error {
 public:
  RuntimeError(RuntimeErrorKind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}
  RuntimeErrorKind kind() const { return kind_; }

 private:
  RuntimeErrorKind kind_;
};

}  // namespace npusim::runtime
