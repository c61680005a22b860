// Options about model inputs shared by quantize, compile and run:
// --input-shape NAME=DIMS and the image preprocessing flags.
#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <utility>
#include <vector>

#include "npusim/compiler/calibration.hpp"

namespace npusim::cli {

// "name=1x3x320x320" -> (name, shape); UsageError otherwise.
std::pair<std::string, compiler::Shape> parse_input_shape(const std::string& spec);
// -b/--batch N checked: 1 ... limits::kMaxBatch, else a UsageError saying so.
int checked_batch(int batch);
// Tensor names given as separate arguments or comma-separated ("a,b" "c").
std::vector<std::string> split_names(const std::vector<std::string>& specs);
// A number or a fraction like 1/255; UsageError naming the option otherwise.
double parse_number(const std::string& s, const std::string& option);

struct ImageOptions {
  std::string resize, letterbox, scale = "1/255", mean = "0", std = "1", order = "rgb", layout;
  float pad_value = 0;
};

void add_image_options(boost::program_options::options_description& desc, ImageOptions& out);
compiler::ImagePreprocess to_preprocess(const ImageOptions& options);

}  // namespace npusim::cli
