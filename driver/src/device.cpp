// Device discovery, registers, PE ownership, interrupts, errors and reset.
#include "npusim/driver/device.hpp"

#include <spdlog/spdlog.h>

#include <bit>

namespace npusim::driver {

namespace reg = isa::reg;

namespace {
std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}
const char* engine_name(int e) {
  switch (e) {
    case 0:
      return "load";
    case 1:
      return "compute";
    case 2:
      return "store";
  }
  return "command processor";
}
// "pe0 load engine at instruction 5 waits on semaphore 2; pe0 compute
// engine at instruction 3 is stuck; ..." for every engine that was running.
std::string engine_report(const std::vector<EngineWait>& engines) {
  std::string r;
  for (const EngineWait& e : engines) {
    if (e.state == reg::EngineState::kIdle) continue;
    r += r.empty() ? "" : "; ";
    r += "pe" + std::to_string(e.pe) + " " + engine_name(e.engine) + " engine at instruction " +
         std::to_string(e.index);
    switch (e.state) {
      case reg::EngineState::kSemWait:
        r += " waits on semaphore " + std::to_string(e.semaphore);
        break;
      case reg::EngineState::kStuck:
        r += " is stuck";
        break;
      default:
        r += " is running";
        break;
    }
  }
  return r.empty() ? "no engine was running" : r;
}

}  // namespace

std::string DeviceFault::message() const {
  std::string m = reg::error_name(code);
  switch (code) {
    case reg::ErrorCode::kNone:
      return m;
    case reg::ErrorCode::kBadRegister:
      return m + ": register offset " + hex(info) + " is unmapped or read-only";
    case reg::ErrorCode::kBadCommand:
    case reg::ErrorCode::kBadProgram:
      return m + " on queue " + std::to_string(queue) + " (address " + hex(address) + ")";
    case reg::ErrorCode::kHostLinkError:
      if (engine == 0xFF)  // an H2D or D2H command, not a program's instruction
        return m + " on queue " + std::to_string(queue) + " (host address " + hex(address) + ")";
      break;
    default:
      break;
  }
  std::string where = "pe" + std::to_string(pe) + " " + engine_name(engine) + " engine";
  if (code == reg::ErrorCode::kSemaphoreDeadlock)
    return m + " (no instruction retired for a watchdog period): " + engine_report(engines);
  if (code == reg::ErrorCode::kWatchdogTimeout && engine == 0xFF)
    return m + ": " + engine_report(engines);
  return m + " at instruction " + std::to_string(info) + " of the " + where +
         (address ? " (address " + hex(address) + ")" : "");
}

Device::Device(std::shared_ptr<isa::Transport> transport, std::string name)
    : transport_(std::move(transport)), name_(std::move(name)) {
  const uint32_t id = transport_->read32(reg::kDeviceId);
  if (id != reg::kDeviceIdValue)
    throw DriverError(ErrorKind::kDevice, name_ + ": no NPU found (device id " + hex(id) + ")");
  num_pes_ = static_cast<int>(transport_->read32(reg::kNumPes));
  dram_size_ = uint64_t(transport_->read32(reg::kDramMib)) << 20;
  transport_->write32(reg::kIrqMask, 0xFFFFFFFFu);
}

Device::~Device() = default;

DeviceInfo Device::info() {
  std::lock_guard lock(mutex_);
  DeviceInfo i;
  i.name = name_;
  i.isa_version = transport_->read32(reg::kVersion);
  i.num_pes = num_pes_;
  i.clock_mhz = transport_->read32(reg::kClockMhz);
  i.sram_kib = transport_->read32(reg::kSramKib);
  i.array_rows = transport_->read32(reg::kArrayRows);
  i.array_cols = transport_->read32(reg::kArrayCols);
  i.dram_mib = transport_->read32(reg::kDramMib);
  for (int p = 0; p < num_pes_; ++p) {
    i.pe_names.push_back(name_ + "pe" + std::to_string(p));
    const bool running = transport_->read32(reg::kPeBase + p * reg::kPeStride + reg::kPeState);
    const bool open = claimed_pes_ & (1u << p);
    i.pe_states.push_back(running ? "running" : (open ? "open" : "idle"));
  }
  if (num_pes_ >= 2) i.pe_names.push_back(name_ + "pe0-" + std::to_string(num_pes_ - 1));
  return i;
}

uint32_t Device::read_register(uint32_t offset) {
  return transport_->read32(offset);
}
void Device::write_register(uint32_t offset, uint32_t value) {
  transport_->write32(offset, value);
}

Counters Device::counters(int pe) {
  if (pe < 0 || pe >= num_pes_)
    throw DriverError(ErrorKind::kInvalidArgument, name_ + ": no PE " + std::to_string(pe));
  std::lock_guard lock(mutex_);
  const uint32_t base = reg::kPeBase + pe * reg::kPeStride;
  auto read64 = [&](uint32_t r) {
    const uint64_t lo = transport_->read32(base + r);  // latches the high half
    return lo | uint64_t(transport_->read32(base + r + 4)) << 32;
  };
  return {read64(reg::kPeCyclesLo),   read64(reg::kPeTaskCyclesLo), read64(reg::kPeTensorCyclesLo),
          read64(reg::kPeDmaBytesLo), read64(reg::kPeDmaBusyLo),    read64(reg::kPeSramBytesLo)};
}

Counters Counters::operator-(const Counters& e) const {
  Counters d;
  d.cycles = cycles - e.cycles;
  d.task_cycles = task_cycles - e.task_cycles;
  d.tensor_cycles = tensor_cycles - e.tensor_cycles;
  d.dma_bytes = dma_bytes - e.dma_bytes;
  d.dma_busy_cycles = dma_busy_cycles - e.dma_busy_cycles;
  d.sram_bytes = sram_bytes - e.sram_bytes;
  return d;
}

uint32_t Device::claim(const std::string& pe_name, int queues, std::vector<int>& hw_queues) {
  const std::string prefix = name_ + "pe";
  if (pe_name.rfind(prefix, 0) != 0)
    throw DriverError(ErrorKind::kInvalidArgument, "unknown PE \"" + pe_name + "\" (expected " +
                                                       prefix + "N or " + prefix + "0-1)");
  const std::string rest = pe_name.substr(prefix.size());
  uint32_t mask = 0;
  if (rest == "0-1" && num_pes_ >= 2)
    mask = 3;
  else if (rest.size() == 1 && rest[0] >= '0' && rest[0] - '0' < num_pes_)
    mask = 1u << (rest[0] - '0');
  if (!mask)
    throw DriverError(ErrorKind::kInvalidArgument, "unknown PE \"" + pe_name + "\" on " + name_ +
                                                       " with " + std::to_string(num_pes_) +
                                                       " PEs");
  if (queues < 1 || queues > reg::kMaxQueues)
    throw DriverError(ErrorKind::kInvalidArgument, pe_name + ": " + std::to_string(queues) +
                                                       " command queues requested (1.." +
                                                       std::to_string(reg::kMaxQueues) + ")");
  if (claimed_pes_ & mask)
    throw DriverError(ErrorKind::kBusy, pe_name + " is busy: already opened by another runner");
  const uint32_t free_queues = ~claimed_queues_ & ((1u << reg::kMaxQueues) - 1);
  if (std::popcount(free_queues) < queues)
    throw DriverError(ErrorKind::kBusy, name_ + ": " + std::to_string(queues) +
                                            " command queues wanted for " + pe_name + ", " +
                                            std::to_string(std::popcount(free_queues)) + " free");
  hw_queues.clear();
  for (int q = 0; q < reg::kMaxQueues && int(hw_queues.size()) < queues; ++q)
    if (free_queues & (1u << q)) {
      hw_queues.push_back(q);
      claimed_queues_ |= 1u << q;
    }
  claimed_pes_ |= mask;
  spdlog::info("{}: opened {} on {} command queue(s) from {}", name_, pe_name, queues,
               hw_queues.front());
  return mask;
}

void Device::unclaim(uint32_t mask, const std::vector<int>& hw_queues) {
  std::lock_guard lock(mutex_);
  claimed_pes_ &= ~mask;
  for (int q : hw_queues) claimed_queues_ &= ~(1u << q);
}

std::unique_ptr<Context> Device::open(const std::string& pe_name, int queues) {
  std::lock_guard lock(mutex_);
  std::vector<int> hw_queues;
  const uint32_t mask = claim(pe_name, queues, hw_queues);
  try {
    return std::unique_ptr<Context>(new Context(*this, pe_name, mask, hw_queues));
  } catch (...) {
    claimed_pes_ &= ~mask;
    for (int q : hw_queues) claimed_queues_ &= ~(1u << q);
    throw;
  }
}

bool Device::run_until(uint64_t deadline_ps, std::chrono::milliseconds timeout) {
  const isa::WaitResult r = transport_->wait_interrupt_until(deadline_ps, timeout);
  if (r == isa::WaitResult::kTimeout)
    throw DriverError(ErrorKind::kTimeout, name_ + ": the simulation did not reach " +
                                               std::to_string(deadline_ps / 1000) + " ns within " +
                                               std::to_string(timeout.count()) + " ms");
  std::lock_guard lock(mutex_);
  dispatch_interrupts();
  return r == isa::WaitResult::kInterrupt;
}

// Reads and acknowledges every pending interrupt; errors are latched in fault_.
void Device::dispatch_interrupts() {
  const uint32_t status = transport_->read32(reg::kIrqStatus);
  if (status & (1u << 31)) {
    DeviceFault f;
    f.code = static_cast<reg::ErrorCode>(transport_->read32(reg::kErrorCode));
    f.info = transport_->read32(reg::kErrorInfo);
    const uint32_t src = transport_->read32(reg::kErrorSource);
    f.pe = src & 0xFF;
    f.engine = (src >> 8) & 0xFF;
    f.queue = (src >> 16) & 0xFF;
    f.address = transport_->read32(reg::kErrorAddrLo) |
                uint64_t(transport_->read32(reg::kErrorAddrHi)) << 32;
    if (f.code == reg::ErrorCode::kSemaphoreDeadlock || f.code == reg::ErrorCode::kWatchdogTimeout)
      f.engines = read_engine_states();
    if (f.code != reg::ErrorCode::kNone) {
      fault_ = f;
      spdlog::info("{}: error interrupt: {}", name_, f.message());
    }
  }
  if (status) transport_->write32(reg::kIrqAck, status);
}

std::vector<EngineWait> Device::read_engine_states() {
  std::vector<EngineWait> out;
  for (int pe = 0; pe < num_pes_; ++pe)
    for (int e = 0; e < isa::kNumEngines; ++e) {
      const uint32_t at = reg::kEngineStateBase + uint32_t(pe * isa::kNumEngines + e) * 8;
      const uint32_t state = transport_->read32(at + 4);
      out.push_back({pe, e, transport_->read32(at), static_cast<reg::EngineState>(state & 0xFF),
                     int((state >> 8) & 0xFF)});
    }
  return out;
}

void Device::wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                        const std::string& what) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      dispatch_interrupts();
      if (done()) return;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      throw DriverError(ErrorKind::kTimeout, name_ + ": timed out after " +
                                                 std::to_string(timeout.count()) +
                                                 " ms waiting for " + what);
    const isa::WaitResult r = transport_->wait_interrupt(left);
    if (r == isa::WaitResult::kIdle) {
      std::lock_guard lock(mutex_);
      dispatch_interrupts();
      if (done()) return;
      throw DriverError(ErrorKind::kDevice,
                        name_ + ": device went idle before " + what + " completed");
    }
  }
}

void Device::arm_fault(isa::reg::FaultKind kind, uint64_t after) {
  std::lock_guard lock(mutex_);
  transport_->write32(reg::kInjectAfterLo, static_cast<uint32_t>(after));
  transport_->write32(reg::kInjectAfterHi, static_cast<uint32_t>(after >> 32));
  transport_->write32(reg::kInjectKind, static_cast<uint32_t>(kind));
}

isa::reg::FaultKind Device::armed_fault() {
  std::lock_guard lock(mutex_);
  return static_cast<isa::reg::FaultKind>(transport_->read32(reg::kInjectKind));
}

DeviceFault Device::last_fault() {
  std::lock_guard lock(mutex_);
  dispatch_interrupts();
  return fault_;
}

void Device::reset() {
  std::lock_guard lock(mutex_);
  spdlog::info("{}: reset", name_);
  transport_->write32(reg::kReset, 1);
  transport_->write32(reg::kIrqMask, 0xFFFFFFFFu);
  fault_ = DeviceFault{};
  ++reset_epoch_;
}

}  // namespace npusim::driver
