// A PE context: command ring in device DRAM, completion ring in host memory.
#include <cstring>

#include "npusim/driver/device.hpp"

namespace npusim::driver {

namespace reg = isa::reg;

Context::Context(Device& device, std::string pe_name, uint32_t pe_mask, int queue)
    : device_(device),
      pe_name_(std::move(pe_name)),
      pe_mask_(pe_mask),
      queue_(queue),
      epoch_(device.reset_epoch_),
      completions_(kRingEntries) {
  ring_ = device_.allocate(kRingEntries * sizeof(reg::Command));
  completions_iova_ = device_.register_host_buffer(completions_.data(),
                                                   completions_.size() * sizeof(reg::Completion));
  setup_queue();
}

Context::~Context() {
  try {
    device_.write_register(reg::kQueueBase + queue_ * reg::kQueueStride + reg::kQEnable, 0);
    device_.unregister_host_buffer(completions_iova_);
    device_.release(ring_);
  } catch (...) {  // a destructor must not throw; the device is being torn down
  }
  device_.unclaim(pe_mask_, queue_);
}

void Context::setup_queue() {
  const uint32_t q = reg::kQueueBase + queue_ * reg::kQueueStride;
  auto w = [&](uint32_t r, uint64_t v) { device_.write_register(q + r, static_cast<uint32_t>(v)); };
  w(reg::kQEnable, 0);
  w(reg::kQRingLo, ring_);
  w(reg::kQRingHi, ring_ >> 32);
  w(reg::kQRingSize, kRingEntries);
  w(reg::kQCplLo, completions_iova_);
  w(reg::kQCplHi, completions_iova_ >> 32);
  w(reg::kQCplSize, kRingEntries);
  w(reg::kQPeMask, pe_mask_);
  w(reg::kQEnable, 1);
  seq_base_ = consumed_ = submitted_;
  epoch_ = device_.reset_epoch_;
}

void Context::poll() {
  const uint32_t q = reg::kQueueBase + queue_ * reg::kQueueStride;
  const uint32_t tail = device_.read_register(q + reg::kQCplTail) + seq_base_;
  while (consumed_ != tail) {
    const reg::Completion& c = completions_[(consumed_ - seq_base_) % kRingEntries];
    finished_[c.tag] = c;
    ++consumed_;
  }
  device_.write_register(q + reg::kQCplHead, consumed_ - seq_base_);
}

uint32_t Context::submit(reg::Command cmd) {
  if (epoch_ != device_.reset_epoch_) setup_queue();  // the queue was lost in a reset
  if (submitted_ - consumed_ >= kRingEntries)
    device_.wait_until(
        [&] {
          poll();
          return submitted_ - consumed_ < kRingEntries;
        },
        std::chrono::seconds(60), "room in the command ring of " + pe_name_);
  cmd.tag = submitted_;
  const uint64_t slot = ring_ + uint64_t((submitted_ - seq_base_) % kRingEntries) * sizeof cmd;
  device_.write_memory(slot, &cmd, sizeof cmd);
  ++submitted_;
  device_.write_register(reg::kQueueBase + queue_ * reg::kQueueStride + reg::kQTail,
                         submitted_ - seq_base_);
  return cmd.tag;
}

bool Context::completed(uint32_t seq) {
  if (epoch_ == device_.reset_epoch_) poll();
  return finished_.count(seq) > 0;
}

reg::Completion Context::wait(uint32_t seq, std::chrono::milliseconds timeout) {
  const std::string what = "command " + std::to_string(seq) + " on " + pe_name_;
  if (seq >= submitted_)
    throw DriverError(ErrorKind::kInvalidArgument, what + " was never submitted");
  if (!finished_.count(seq) && (epoch_ != device_.reset_epoch_ || seq < seq_base_))
    throw DriverError(ErrorKind::kDevice, what + " was dropped by a device reset");
  device_.wait_until(
      [&] {
        poll();
        return finished_.count(seq) > 0;
      },
      timeout, what);
  const reg::Completion c = finished_[seq];
  finished_.erase(seq);
  if (c.status != 0) {
    DeviceFault f = device_.last_fault();
    if (f.code == reg::ErrorCode::kNone || f.queue != queue_) {
      f.code = static_cast<reg::ErrorCode>(c.status);
      f.info = c.error_info;
    }
    throw DriverError(ErrorKind::kDevice, pe_name_ + ": " + what + " failed: " + f.message());
  }
  return c;
}

}  // namespace npusim::driver
