// isa::Transport on the in-process SystemC platform. Every call is carried
// out on the simulation thread; simulated time advances only while a host
// waits for an interrupt or spends host time (conservative synchronisation).
#include "npusim/sim/in_process_device.hpp"

#include <tlm_utils/simple_initiator_socket.h>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include "platform.hpp"
#include "simulation_thread.hpp"

namespace npusim::sim {
namespace {

// Pauses a running kernel from another OS thread (async_request_update is
// SystemC's thread-safe entry point).
class KernelWakeup : public sc_core::sc_prim_channel {
 public:
  KernelWakeup() : sc_prim_channel(sc_core::sc_gen_unique_name("kernel_wakeup")) {}
  void request() { async_request_update(); }

 private:
  void update() override { sc_core::sc_pause(); }
};

// The host side of the MMIO path: register accesses as TLM transactions.
class HostBridge : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<HostBridge> socket;
  explicit HostBridge(sc_core::sc_module_name name) : sc_module(name), socket("socket") {}

  uint32_t access(tlm::tlm_command cmd, uint32_t offset, uint32_t value) {
    tlm::tlm_generic_payload trans;
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    trans.set_command(cmd);
    trans.set_address(offset);
    trans.set_data_ptr(reinterpret_cast<unsigned char*>(&value));
    trans.set_data_length(4);
    trans.set_streaming_width(4);
    socket->b_transport(trans, delay);
    return value;
  }
};

struct WaitState {
  std::promise<isa::WaitResult> result;
  std::atomic<bool> abandoned{false};
};

class InProcessDevice : public isa::Transport {
 public:
  InProcessDevice() {
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
    sim_.call([this] { elaborate(); });
    sim_.wake_kernel = [this] { wakeup_->request(); };
  }

  void configure(const DeviceConfig& config) {
    sim_.call([&] { platform_->configure(config.hw, !config.timing_only); });
  }
  void observe(std::shared_ptr<InstructionObserver> observer, bool values) {
    sim_.call([&] { platform_->observe(std::move(observer), values); });
  }

  uint32_t read32(uint32_t offset) override {
    return sim_.call([&] { return bridge_->access(tlm::TLM_READ_COMMAND, offset, 0); });
  }
  void write32(uint32_t offset, uint32_t value) override {
    sim_.call([&] { bridge_->access(tlm::TLM_WRITE_COMMAND, offset, value); });
  }

  void write_memory(uint64_t addr, const void* data, size_t bytes) override {
    sim_.call([&] {
      check_range(addr, bytes, "write");
      std::memcpy(platform_->dram.data() + addr, data, bytes);
    });
  }
  void read_memory(uint64_t addr, void* data, size_t bytes) override {
    sim_.call([&] {
      check_range(addr, bytes, "read");
      std::memcpy(data, platform_->dram.data() + addr, bytes);
    });
  }

  uint64_t map_host(void* data, size_t bytes) override {
    return sim_.call([&] { return platform_->host_link.map(data, bytes); });
  }
  void unmap_host(uint64_t iova) override {
    sim_.call([&] { platform_->host_link.unmap(iova); });
  }

  isa::WaitResult wait_interrupt(std::chrono::milliseconds timeout) override {
    auto state = std::make_shared<WaitState>();
    auto future = state->result.get_future();
    sim_.post([this, state] { run_until_interrupt(state); });
    if (future.wait_for(timeout) == std::future_status::ready) return future.get();
    state->abandoned = true;
    return isa::WaitResult::kTimeout;
  }

  isa::WaitResult wait_interrupt_until(uint64_t deadline_ps,
                                       std::chrono::milliseconds timeout) override {
    auto state = std::make_shared<WaitState>();
    auto future = state->result.get_future();
    const sc_core::sc_time deadline(double(deadline_ps), sc_core::SC_PS);
    sim_.post([this, state, deadline] { run_until_interrupt_or(deadline, state); });
    if (future.wait_for(timeout) == std::future_status::ready) return future.get();
    state->abandoned = true;
    return isa::WaitResult::kTimeout;
  }

  void advance_host_time(uint64_t ps) override {
    std::promise<void> done;
    auto future = done.get_future();
    sim_.post([this, ps, &done] {
      const sc_core::sc_time target =
          sc_core::sc_time_stamp() + sc_core::sc_time(double(ps), sc_core::SC_PS);
      run_until(target, done);
    });
    future.get();
  }

  uint64_t now_ps() override {
    return sim_.call([] { return static_cast<uint64_t>(sc_core::sc_time_stamp().value()); });
  }

 private:
  void elaborate() {
    // Deliberately never deleted: SystemC modules must outlive the kernel,
    // which lives until the process exits.
    platform_ = new Platform("npu0");
    bridge_ = new HostBridge("host");
    bridge_->socket.bind(platform_->host_link.mmio);
    wakeup_ = new KernelWakeup();
  }

  void check_range(uint64_t addr, size_t bytes, const char* what) {
    const uint64_t size = platform_->dram.size();
    if (addr > size || bytes > size - addr)
      throw std::out_of_range(std::string("device memory ") + what + " of " +
                              std::to_string(bytes) + " bytes at 0x" + to_hex(addr) +
                              " is outside DRAM (" + std::to_string(size) + " bytes)");
  }
  static std::string to_hex(uint64_t v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(v));
    return buf;
  }

  // One slice of "run until the interrupt line rises or nothing is left to
  // simulate"; re-posts itself so other jobs can interleave.
  void run_until_interrupt(const std::shared_ptr<WaitState>& state) {
    if (state->abandoned) return;
    if (!platform_->irq_line() && sc_core::sc_pending_activity()) {
      platform_->pause_on_irq = true;
      sim_.kernel_running = true;
      sc_core::sc_start();
      sim_.kernel_running = false;
      platform_->pause_on_irq = false;
    }
    if (platform_->irq_line()) return state->result.set_value(isa::WaitResult::kInterrupt);
    if (!sc_core::sc_pending_activity()) return state->result.set_value(isa::WaitResult::kIdle);
    sim_.post([this, state] { run_until_interrupt(state); });
  }

  // Like run_until_interrupt, but stops at `deadline` (time advances to it
  // even when nothing is pending).
  void run_until_interrupt_or(const sc_core::sc_time& deadline,
                              const std::shared_ptr<WaitState>& state) {
    if (state->abandoned) return;
    if (!platform_->irq_line() && sc_core::sc_time_stamp() < deadline) {
      platform_->pause_on_irq = true;
      sim_.kernel_running = true;
      sc_core::sc_start(deadline - sc_core::sc_time_stamp(), sc_core::SC_RUN_TO_TIME);
      sim_.kernel_running = false;
      platform_->pause_on_irq = false;
    }
    if (platform_->irq_line()) return state->result.set_value(isa::WaitResult::kInterrupt);
    if (sc_core::sc_time_stamp() >= deadline)
      return state->result.set_value(isa::WaitResult::kDeadline);
    sim_.post([this, state, deadline] { run_until_interrupt_or(deadline, state); });
  }

  void run_until(const sc_core::sc_time& target, std::promise<void>& done) {
    if (sc_core::sc_time_stamp() < target) {
      sim_.kernel_running = true;
      sc_core::sc_start(target - sc_core::sc_time_stamp(), sc_core::SC_RUN_TO_TIME);
      sim_.kernel_running = false;
    }
    if (sc_core::sc_time_stamp() >= target) return done.set_value();
    sim_.post([this, target, &done] { run_until(target, done); });
  }

  SimulationThread sim_;
  Platform* platform_ = nullptr;
  HostBridge* bridge_ = nullptr;
  KernelWakeup* wakeup_ = nullptr;
};

// The process's one device, made on first use.
struct TheDevice {
  std::mutex mutex;
  std::shared_ptr<InProcessDevice> device;

  InProcessDevice& get() {
    if (!device) device = std::make_shared<InProcessDevice>();
    return *device;
  }
};
TheDevice& the_device() {
  static TheDevice d;
  return d;
}

}  // namespace

std::shared_ptr<isa::Transport> in_process_device(const DeviceConfig& config) {
  TheDevice& d = the_device();
  std::lock_guard lock(d.mutex);
  if (config.hw.num_pes < 1 || config.hw.num_pes > isa::reg::kMaxPes)
    throw std::invalid_argument("num_pes must be 1.." + std::to_string(isa::reg::kMaxPes));
  d.get().configure(config);
  return d.device;
}

void observe_instructions(std::shared_ptr<InstructionObserver> observer, bool values) {
  TheDevice& d = the_device();
  std::lock_guard lock(d.mutex);
  d.get().observe(std::move(observer), values);
}

}  // namespace npusim::sim
