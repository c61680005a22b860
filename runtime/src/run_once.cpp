#include "npusim/runtime/run_once.hpp"

#include "copy_command.hpp"
#include "inject_word.hpp"

#include <stdexcept>

namespace npusim::runtime {

namespace reg = isa::reg;

namespace {

// Submits the commands, waits for all, and returns the span they covered.
CommandTiming submit_all(driver::Context& ctx, const std::vector<reg::Command>& commands,
                         std::chrono::milliseconds timeout, uint64_t fallback_cycle) {
  std::vector<uint32_t> seqs;
  for (const auto& c : commands) seqs.push_back(ctx.submit(c));
  CommandTiming t{fallback_cycle, fallback_cycle};
  bool first = true;
  for (uint32_t s : seqs) {
    const reg::Completion done = ctx.wait(s, timeout);
    if (first) t.start_cycle = done.start_cycle;
    first = false;
    t.end_cycle = done.end_cycle;
  }
  return t;
}

}  // namespace

RunOutcome run_once(driver::Context& ctx, const LoadedProgram& lp,
                    const std::vector<std::vector<uint8_t>>& inputs,
                    std::chrono::milliseconds timeout, uint64_t inject) {
  const std::vector<isa::TensorInfo>& in_info = lp.inputs();
  if (inputs.size() != in_info.size())
    throw std::invalid_argument("expected " + std::to_string(in_info.size()) + " inputs, got " +
                                std::to_string(inputs.size()));
  std::vector<uint8_t> host(lp.io_bytes());
  std::vector<reg::Command> to_device, to_host;
  driver::Device& device = lp.device();
  const uint64_t iova = host.empty() ? 0 : device.register_host_buffer(host.data(), host.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const isa::TensorInfo& t = in_info[i];
    if (inputs[i].size() != t.bytes())
      throw std::invalid_argument("input \"" + t.name + "\" has " +
                                  std::to_string(inputs[i].size()) + " bytes, expected " +
                                  std::to_string(t.bytes()));
    std::copy(inputs[i].begin(), inputs[i].end(), host.begin() + t.io_offset);
    to_device.push_back(copy_command(reg::CommandOp::kH2D, iova + t.io_offset,
                                     lp.io_address() + t.io_offset, t.bytes()));
  }
  for (const isa::TensorInfo& t : lp.outputs())
    to_host.push_back(copy_command(reg::CommandOp::kD2H, iova + t.io_offset,
                                   lp.io_address() + t.io_offset, t.bytes()));
  reg::Command run = lp.run_command();
  place_inject_word(inject, run, to_device, to_host);
  RunOutcome out;
  try {
    out.h2d = submit_all(ctx, to_device, timeout, 0);
    out.run = submit_all(ctx, {run}, timeout, out.h2d.end_cycle);
    if (to_device.empty()) out.h2d = {out.run.start_cycle, out.run.start_cycle};
    out.d2h = submit_all(ctx, to_host, timeout, out.run.end_cycle);
  } catch (...) {
    if (iova) device.unregister_host_buffer(iova);
    throw;
  }
  if (iova) device.unregister_host_buffer(iova);
  for (const isa::TensorInfo& t : lp.outputs())
    out.outputs.emplace_back(host.begin() + t.io_offset, host.begin() + t.io_offset + t.bytes());
  return out;
}

}  // namespace npusim::runtime
