// Model inputs from image files, in the form each input takes. Shared by
// `npusim run -i IMAGE`, npusim-facedetect and the Python SDK.
//
//   float32 input  the image decoded, resized (stretched or letterboxed) to
//                  the input's H x W, (pixel * scale - mean) / std per channel,
//                  in the input's layout (compiler::ImagePreprocess)
//   uint8 input    the raw pixels, resized and in the input's channel order
//                  and layout; scale, mean and std do not apply
//   int8 input     the raw pixels - 128 (int8 codes are uint8 codes - 128)
//
// Integer inputs come from `npusim quantize --input-type NAME=uint8` (the
// Warboy tutorial's ModelEditor step): the quantiser folds the preprocessing
// into the input's scale and zero point (real = scale * (q - zero_point)),
// so a camera's or a file's bytes are the codes, with no quantisation on the
// host. That holds when calibration spanned the pixels 0..255; the quantize
// report says whether it did.
#pragma once

#include <string>

#include "npusim/compiler/calibration.hpp"
#include "npusim/runtime/model.hpp"

namespace npusim::runtime {

// Throws RuntimeError (kInvalidInput) naming the file and the input: an
// input that is not an image ([1, C, H, W] or [1, H, W, C] with 1, 3 or 4
// channels), an undecodable file, a --resize size that is not the input's.
Tensor image_input(const TensorDesc& input, const std::string& path,
                   const compiler::ImagePreprocess& pp = {});

// Whether `pp` changes pixel values (scale, mean or std other than pixel /
// 255): such options have no effect on integer inputs, callers may say so.
bool rescales_pixels(const compiler::ImagePreprocess& pp);

}  // namespace npusim::runtime
