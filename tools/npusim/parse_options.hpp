// Parses a subcommand's arguments; --help prints the description and exits 0.
#pragma once

#include <boost/program_options.hpp>
#include <cstdlib>
#include <iostream>

#include "commands.hpp"

namespace npusim::cli {

inline boost::program_options::variables_map parse_options(
    const Args& args, const std::string& usage, boost::program_options::options_description& desc,
    const boost::program_options::positional_options_description& positional = {}) {
  namespace po = boost::program_options;
  desc.add_options()("help,h", "show this help");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(desc).positional(positional).run(), vm);
  if (vm.count("help")) {
    std::cout << "usage: " << usage << "\n\n" << desc << "\n";
    std::exit(0);
  }
  po::notify(vm);
  return vm;
}

}  // namespace npusim::cli
