// npusim info: the device, its PEs (single and fused) and parameters.
#include <nlohmann/json.hpp>

#include <iostream>

#include "commands.hpp"
#include "hw_options.hpp"
#include "npusim/driver/device.hpp"
#include "npusim/sim/in_process_device.hpp"
#include "parse_options.hpp"

namespace po = boost::program_options;

namespace npusim::cli {

int cmd_info(const Args& args) {
  HwOptions hw_options;
  std::string format = "text";
  po::options_description desc("info options");
  desc.add_options()("format", po::value(&format)->value_name("text|json"), "output format");
  add_hw_options(desc, hw_options);
  parse_options(args, "npusim info [--format json] [--hw FILE] [--set KEY=VALUE...]", desc);
  if (format != "text" && format != "json") throw UsageError("--format must be text or json");

  const isa::HwParams hw = resolve_hw(hw_options);
  driver::Device device(sim::in_process_device({hw, false}));
  const driver::DeviceInfo info = device.info();
  if (format == "json") {
    nlohmann::json j;
    j["device"] = info.name;
    j["transport"] = "in-process simulator";
    j["isa_version"] = info.isa_version;
    j["pes"] = nlohmann::json::array();
    for (int p = 0; p < info.num_pes; ++p)
      j["pes"].push_back({{"name", info.pe_names[p]}, {"state", info.pe_states[p]}});
    if (static_cast<int>(info.pe_names.size()) > info.num_pes) j["fused"] = info.pe_names.back();
    for (const auto& [k, v] : isa::describe(hw)) j["params"][k] = v;
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << "NPU     " << info.name << " (in-process simulator, ISA v" << info.isa_version
            << ", preset " << hw.name << ")\n";
  for (int p = 0; p < info.num_pes; ++p)
    std::cout << "PE      " << info.pe_names[p] << "  " << info.pe_states[p] << "\n";
  if (static_cast<int>(info.pe_names.size()) > info.num_pes)
    std::cout << "fused   " << info.pe_names.back() << "\n";
  std::cout << "params\n";
  for (const auto& [k, v] : isa::describe(hw)) std::cout << "  " << k << " = " << v << "\n";
  return 0;
}

}  // namespace npusim::cli
