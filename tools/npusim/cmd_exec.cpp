// npusim exec: run one program on the simulated device through the driver
// and print its cycles and the PEs' counters.
#include <iomanip>
#include <iostream>
#include <map>
#include <random>

#include "commands.hpp"
#include "fault_options.hpp"
#include "hw_options.hpp"
#include "model_options.hpp"
#include "npusim/common/files.hpp"
#include "npusim/common/limits.hpp"
#include "npusim/driver/device.hpp"
#include "npusim/runtime/loaded_program.hpp"
#include "npusim/runtime/run_once.hpp"
#include "npusim/sim/in_process_device.hpp"
#include "parse_options.hpp"
#include "program_files.hpp"
#include "trace_options.hpp"

namespace po = boost::program_options;

namespace npusim::cli {
namespace {

std::vector<uint8_t> read_binary(const std::string& path) {
  const std::string bytes = files::read_file(path, limits::kMaxTensorBytes, "an input tensor file");
  return {bytes.begin(), bytes.end()};
}

// Inputs from --input NAME=FILE (raw bytes), or deterministic random bytes.
std::vector<std::vector<uint8_t>> gather_inputs(const std::vector<isa::TensorInfo>& tensors,
                                                const std::vector<std::string>& specs) {
  std::map<std::string, std::string> given;  // input name -> file
  for (const std::string& s : specs) {
    const auto eq = s.find('=');
    if (eq == std::string::npos)
      throw UsageError("--input takes NAME=FILE, got \"" + limits::echo(s) + "\"");
    if (!given.emplace(s.substr(0, eq), s.substr(eq + 1)).second)
      throw UsageError("--input gives input \"" + s.substr(0, eq) + "\" twice");
  }
  std::mt19937 rng(1234);
  std::vector<std::vector<uint8_t>> inputs;
  for (const isa::TensorInfo& t : tensors) {
    auto it = given.find(t.name);
    if (it == given.end()) {
      std::vector<uint8_t> data(t.bytes());
      for (auto& b : data) b = static_cast<uint8_t>(rng());
      inputs.push_back(std::move(data));
      continue;
    }
    inputs.push_back(read_binary(it->second));
    if (inputs.back().size() != t.bytes())
      throw std::runtime_error("input file " + it->second + " has " +
                               std::to_string(inputs.back().size()) + " bytes but input \"" +
                               t.name + "\" needs " + std::to_string(t.bytes()));
    given.erase(it);
  }
  if (!given.empty())
    throw UsageError("the program has no input named \"" + given.begin()->first + "\"");
  return inputs;
}

// exec runs one request (number 0): --inject request:0 and random go on
// its commands, instruction:N is armed on the device.
uint64_t inject_word(const runtime::FaultInjection& f, driver::Device& device) {
  using When = runtime::FaultInjection::When;
  if (!f) return 0;
  if (f.when == When::kInstruction) {
    device.arm_fault(f.kind, f.n);
    return 0;
  }
  return f.hits(0, 0) ? isa::reg::inject_word(f.kind) : 0;
}

std::string micros(uint64_t cycles, const isa::HwParams& hw) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(3) << cycles * hw.cycle_ns() / 1000.0 << " us";
  return s.str();
}

void print_counters(driver::Device& device, uint32_t pe_mask) {
  for (int pe = 0; pe < 32; ++pe) {
    if (!(pe_mask & (1u << pe))) continue;
    const driver::Counters c = device.counters(pe);
    std::cout << "pe" << pe << "       cycles " << c.cycles << "  task " << c.task_cycles
              << "  tensor " << c.tensor_cycles << "  dma_bytes " << c.dma_bytes << "  dma_busy "
              << c.dma_busy_cycles << "\n"
              << "           NPU% " << std::fixed << std::setprecision(1) << c.npu_percent()
              << "  Comp% " << c.comp_percent() << "  I/O% " << c.io_percent() << "\n";
  }
}

}  // namespace

int cmd_exec(const Args& args) {
  HwOptions hw_options;
  std::string path, device_name, output_dir;
  std::vector<std::string> input_specs;
  bool timing_only = false, no_verify = false;
  FaultOptions faults;
  TraceOptions trace;
  uint32_t seed = 1;
  po::options_description desc("exec options");
  desc.add_options()("program", po::value(&path)->required()->value_name("PROGRAM"),
                     ".npub file or assembly text")(
      "device,d", po::value(&device_name)->value_name("PE"),
      "npu0pe0, npu0pe1 or npu0pe0-1 (default: npu0pe0, or npu0pe0-1 for fused programs)")(
      "input,i", po::value(&input_specs)->composing()->value_name("NAME=FILE"),
      "raw input bytes (default: deterministic random)")(
      "output-dir", po::value(&output_dir)->value_name("DIR"), "write each output as NAME.bin")(
      "timing-only", po::bool_switch(&timing_only), "skip the arithmetic (same cycles, faster)")(
      "no-verify", po::bool_switch(&no_verify),
      "skip the verifier: the device itself must catch the program's errors");
  desc.add_options()("seed", po::value(&seed)->value_name("N"), "--inject random's seed (1)");
  add_fault_options(desc, faults, false);
  add_trace_options(desc, trace);
  add_hw_options(desc, hw_options);
  po::positional_options_description pos;
  pos.add("program", 1);
  parse_options(args, "npusim exec PROGRAM [options]", desc, pos);
  const runtime::FaultInjection inject = fault_injection(faults, seed);

  const isa::HwParams hw = resolve_hw(hw_options);
  const isa::Program program = read_program(path, hw);
  if (device_name.empty())
    device_name = program.mode == isa::Mode::kFused ? "npu0pe0-1" : "npu0pe0";
  const std::vector<std::string> named = device_list(device_name);  // aliases: npu:0:1, ...
  if (named.size() != 1) throw UsageError("--device takes one PE or the fused pair for exec");
  device_name = named.front();
  driver::Device device(sim::in_process_device({hw, timing_only}));
  auto context = device.open(device_name);
  runtime::LoadedProgram loaded(device, program, hw, !no_verify);
  const auto inputs = gather_inputs(loaded.inputs(), input_specs);
  auto recording = start_trace(trace, timing_only);
  const runtime::RunOutcome r = runtime::run_once(
      *context, loaded, inputs, std::chrono::seconds(60), inject_word(inject, device));

  std::cout << "program    " << path << " (" << isa::mode_name(program.mode) << ", NPU segment \""
            << loaded.segment().name << "\": " << loaded.inputs().size() << " inputs, "
            << loaded.outputs().size() << " outputs)\n"
            << "device     " << device_name << " (" << hw.name << ", " << hw.array_rows << "x"
            << hw.array_cols << " array, " << hw.clock_hz / 1'000'000 << " MHz"
            << (timing_only ? ", timing-only" : "") << ")\n"
            << "h2d        " << r.h2d.cycles() << " cycles  " << micros(r.h2d.cycles(), hw) << "\n"
            << "run        " << r.run.cycles() << " cycles  " << micros(r.run.cycles(), hw) << "\n"
            << "d2h        " << r.d2h.cycles() << " cycles  " << micros(r.d2h.cycles(), hw) << "\n"
            << "total      " << r.total_cycles() << " cycles  " << micros(r.total_cycles(), hw)
            << "\n";
  print_counters(device, context->pe_mask());
  finish_trace(recording, trace);
  if (!output_dir.empty()) {
    files::make_directories(output_dir);
    for (size_t i = 0; i < loaded.outputs().size(); ++i) {
      const std::string file = output_dir + "/" + loaded.outputs()[i].name + ".bin";
      files::write_file(file, std::string_view(reinterpret_cast<const char*>(r.outputs[i].data()),
                                               r.outputs[i].size()));
      std::cout << "output     " << file << "\n";
    }
  }
  return 0;
}

}  // namespace npusim::cli
