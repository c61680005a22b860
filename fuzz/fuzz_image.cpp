// libFuzzer harness: the image readers, as the tools read PNG, JPEG and BMP
// files: compiler::load_image_bytes (model inputs for `npusim run -i`,
// calibration and npusim-facedetect: decode, resize or letterbox, normalise,
// random crops) and vision::decode_image (the photo the boxes are drawn on).
// Every input is either decoded or refused with CompileError /
// std::runtime_error naming the file; anything else is a finding.
//
// The preprocessing options come from the input's last byte, which is also
// left in the image bytes (decoders ignore what follows the image), so the
// seed corpus holds plain image files.
//
// Images whose header claims more than kMaxFuzzedPixels are skipped: their
// cost is legitimate and grows with their size (a valid 8 KB 1-bit PNG of
// 8192 x 8192 pixels, the readers' limit, takes 75 s here under ASan), so
// at full size they would only be timeouts. The limit itself and files
// shorter than their header claims are unit tests (image_input_test.cpp,
// image_io_test.cpp).
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "npusim/common/image_decode.hpp"
#include "npusim/compiler/calibration.hpp"
#include "npusim/compiler/graph.hpp"
#include "npusim/vision/image_io.hpp"

namespace {

using namespace npusim;

constexpr uint64_t kMaxFuzzedPixels = uint64_t(1) << 20;

bool too_large_to_fuzz(const uint8_t* data, size_t size) {
  const auto d = images::dimensions(std::string_view(reinterpret_cast<const char*>(data), size));
  return d && uint64_t(d->width) * uint64_t(d->height) > kMaxFuzzedPixels;
}

compiler::ImagePreprocess options(uint8_t bits, compiler::Shape& shape) {
  static constexpr int64_t kSizes[4] = {1, 8, 17, 32};
  static constexpr int64_t kChannels[4] = {1, 3, 4, 3};
  const int64_t w = kSizes[bits & 3], h = kSizes[(bits >> 2) & 3], c = kChannels[(bits >> 4) & 3];
  const bool nhwc = bits & 64;
  shape = nhwc ? compiler::Shape{1, h, w, c} : compiler::Shape{1, c, h, w};
  compiler::ImagePreprocess pp;
  pp.layout = nhwc ? "NHWC" : "NCHW";
  pp.letterbox = bits & 128;
  pp.bgr = bits & 16;
  pp.crops = (bits >> 5) & 1;
  return pp;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (too_large_to_fuzz(data, size)) return -1;  // -1: not added to the corpus
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  compiler::Shape shape;
  const compiler::ImagePreprocess pp = options(size ? data[size - 1] : 0, shape);
  try {
    (void)compiler::load_image_bytes(bytes, "fuzz.img", shape, pp);
  } catch (const compiler::CompileError&) {
  }
  try {
    (void)vision::decode_image(bytes, "fuzz.img");
  } catch (const std::runtime_error&) {
  }
  return 0;
}
