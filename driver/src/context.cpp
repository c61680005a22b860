// A PE context: per command queue, a command ring in device DRAM and a
// completion ring in host memory.
#include <cstring>

#include "npusim/driver/device.hpp"

namespace npusim::driver {

namespace reg = isa::reg;

Context::Context(Device& device, std::string pe_name, uint32_t pe_mask,
                 const std::vector<int>& hw_queues)
    : device_(device),
      pe_name_(std::move(pe_name)),
      pe_mask_(pe_mask),
      epoch_(device.reset_epoch_),
      queues_(hw_queues.size()) {
  try {
    for (size_t i = 0; i < hw_queues.size(); ++i) {
      Queue& q = queues_[i];
      q.hw = hw_queues[i];
      q.completions.resize(kRingEntries);
      q.ring = device_.allocate(kRingEntries * sizeof(reg::Command));
      q.completions_iova = device_.register_host_buffer(
          q.completions.data(), q.completions.size() * sizeof(reg::Completion));
    }
    setup_queues();
  } catch (...) {
    for (Queue& q : queues_) {
      if (q.completions_iova) device_.unregister_host_buffer(q.completions_iova);
      if (q.ring) device_.release(q.ring);
    }
    throw;
  }
}

Context::~Context() {
  std::vector<int> hw;
  for (Queue& q : queues_) {
    hw.push_back(q.hw);
    try {
      device_.write_register(reg::kQueueBase + q.hw * reg::kQueueStride + reg::kQEnable, 0);
      device_.unregister_host_buffer(q.completions_iova);
      device_.release(q.ring);
    } catch (...) {  // a destructor must not throw; the device is being torn down
    }
  }
  device_.unclaim(pe_mask_, hw);
}

void Context::setup_queues() {
  for (Queue& queue : queues_) {
    const uint32_t q = reg::kQueueBase + queue.hw * reg::kQueueStride;
    auto w = [&](uint32_t r, uint64_t v) {
      device_.write_register(q + r, static_cast<uint32_t>(v));
    };
    w(reg::kQEnable, 0);
    w(reg::kQRingLo, queue.ring);
    w(reg::kQRingHi, queue.ring >> 32);
    w(reg::kQRingSize, kRingEntries);
    w(reg::kQCplLo, queue.completions_iova);
    w(reg::kQCplHi, queue.completions_iova >> 32);
    w(reg::kQCplSize, kRingEntries);
    w(reg::kQPeMask, pe_mask_);
    w(reg::kQEnable, 1);
    queue.seq_base = queue.consumed = queue.submitted;
  }
  epoch_ = device_.reset_epoch_;
}

Context::Queue& Context::queue_at(int q) {
  if (q < 0 || q >= queue_count())
    throw DriverError(ErrorKind::kInvalidArgument, pe_name_ + ": no command queue " +
                                                       std::to_string(q) + " (context has " +
                                                       std::to_string(queue_count()) + ")");
  return queues_[q];
}

void Context::poll(Queue& queue) {
  const uint32_t q = reg::kQueueBase + queue.hw * reg::kQueueStride;
  const uint32_t tail = device_.read_register(q + reg::kQCplTail) + queue.seq_base;
  if (queue.consumed == tail) return;  // nothing new: no MMIO write either
  while (queue.consumed != tail) {
    const reg::Completion& c = queue.completions[(queue.consumed - queue.seq_base) % kRingEntries];
    queue.finished[c.tag] = c;
    ++queue.consumed;
  }
  device_.write_register(q + reg::kQCplHead, queue.consumed - queue.seq_base);
}

uint32_t Context::submit(reg::Command cmd, int q) {
  Queue& queue = queue_at(q);
  if (epoch_ != device_.reset_epoch_) setup_queues();  // the queues were lost in a reset
  if (queue.submitted - queue.consumed >= kRingEntries)
    device_.wait_until(
        [&] {
          poll(queue);
          return queue.submitted - queue.consumed < kRingEntries;
        },
        std::chrono::seconds(60), "room in the command ring of " + pe_name_);
  cmd.tag = queue.submitted;
  const uint64_t slot =
      queue.ring + uint64_t((queue.submitted - queue.seq_base) % kRingEntries) * sizeof cmd;
  device_.write_memory(slot, &cmd, sizeof cmd);
  ++queue.submitted;
  device_.write_register(reg::kQueueBase + queue.hw * reg::kQueueStride + reg::kQTail,
                         queue.submitted - queue.seq_base);
  return cmd.tag;
}

reg::Command Context::wait_for(int q, uint32_t seq) const {
  const Queue& queue = queues_.at(q);
  reg::Command c{};
  c.op = static_cast<uint32_t>(reg::CommandOp::kWaitQueue);
  c.a = static_cast<uint64_t>(queue.hw);
  c.b = uint64_t(seq - queue.seq_base) + 1;  // DONE counts commands since the queue was enabled
  return c;
}

bool Context::completed(uint32_t seq, int q) {
  Queue& queue = queue_at(q);
  if (epoch_ == device_.reset_epoch_) poll(queue);
  return queue.finished.count(seq) > 0;
}

reg::Completion Context::wait(uint32_t seq, std::chrono::milliseconds timeout, int q) {
  Queue& queue = queue_at(q);
  const std::string what = "command " + std::to_string(seq) + " on " + pe_name_ +
                           (queue_count() > 1 ? " queue " + std::to_string(q) : "");
  if (seq >= queue.submitted)
    throw DriverError(ErrorKind::kInvalidArgument, what + " was never submitted");
  if (!queue.finished.count(seq) && (epoch_ != device_.reset_epoch_ || seq < queue.seq_base))
    throw DriverError(ErrorKind::kDevice, what + " was dropped by a device reset");
  device_.wait_until(
      [&] {
        poll(queue);
        return queue.finished.count(seq) > 0;
      },
      timeout, what);
  const reg::Completion c = queue.finished[seq];
  queue.finished.erase(seq);
  if (c.status != 0) {
    DeviceFault f = device_.last_fault();
    if (f.code == reg::ErrorCode::kNone || f.queue != queue.hw) {
      f.code = static_cast<reg::ErrorCode>(c.status);
      f.info = c.error_info;
    }
    throw DriverError(ErrorKind::kDevice, pe_name_ + ": " + what + " failed: " + f.message());
  }
  return c;
}

}  // namespace npusim::driver
