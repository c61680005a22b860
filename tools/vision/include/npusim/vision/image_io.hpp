// RGB8 images for showing results: decode PNG/JPEG/BMP files, draw boxes and
// key points, write PNG. (Model inputs are made by compiler::load_image,
// which resizes and normalises; this is for the photo the boxes go on.)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "npusim/vision/detection.hpp"

namespace npusim::vision {

struct Image {
  int w = 0, h = 0;
  std::vector<uint8_t> rgb;  // row major, 3 bytes per pixel
};

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
};

// Throws std::runtime_error "<path>: cannot read image: <reason>".
Image read_image(const std::string& path);
// The same from a file's bytes; `path` names it in messages.
Image decode_image(const std::string& bytes, const std::string& path);
// Throws std::runtime_error "<path>: cannot write PNG: <reason>".
void write_png(const Image& image, const std::string& path);

// Outline of the pixel rectangle [x0, x1] x [y0, y1] (inclusive), `thickness`
// pixels wide, growing inwards; clipped to the image.
void draw_rect(Image& image, int x0, int y0, int x1, int y1, Rgb colour, int thickness = 2);
// Filled disc of the given radius (0: one pixel); clipped to the image.
void draw_dot(Image& image, int x, int y, int radius, Rgb colour);
// A detection: its normalised box scaled to the image, and its key points as
// dots of radius `thickness`.
void draw_box(Image& image, const Box& box, Rgb colour, int thickness = 2);

}  // namespace npusim::vision
