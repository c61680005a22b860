// Errors the driver reports. Each carries a kind for callers to branch on
// and a message naming the device, PE, register or command and the reason.
#pragma once

#include <stdexcept>
#include <string>

namespace npusim::driver {

enum class ErrorKind { kBusy, kTimeout, kDevice, kInvalidArgument, kOutOfMemory };

class DriverError : public std::runtime_error {
 public:
  DriverError(ErrorKind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

}  // namespace npusim::driver
