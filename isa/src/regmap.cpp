// Names of device error codes, for messages.
#include "npusim/isa/regmap.hpp"

namespace npusim::isa::reg {

const char* error_name(ErrorCode c) {
  switch (c) {
    case ErrorCode::kNone:
      return "none";
    case ErrorCode::kIllegalInstruction:
      return "illegal instruction";
    case ErrorCode::kAddressOutOfRange:
      return "address out of range";
    case ErrorCode::kSemaphoreDeadlock:
      return "semaphore deadlock";
    case ErrorCode::kBadRegister:
      return "bad register access";
    case ErrorCode::kBadCommand:
      return "bad command";
    case ErrorCode::kBadProgram:
      return "bad program table";
    case ErrorCode::kDmaError:
      return "DMA error";
    case ErrorCode::kWatchdogTimeout:
      return "watchdog timeout";
    case ErrorCode::kHostLinkError:
      return "host link error";
  }
  return "unknown error";
}

}  // namespace npusim::isa::reg
