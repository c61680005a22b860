// Drawing detections on RGB8 images: plain loops, clipped to the image, so
// boxes that leave the photo (as unclipped YOLO boxes may) are still drawn.
#include <algorithm>
#include <cmath>

#include "npusim/vision/image_io.hpp"

namespace npusim::vision {

namespace {

// Fills [x0, x1] x [y0, y1] (inclusive), clipped to the image.
void fill(Image& img, int x0, int y0, int x1, int y1, Rgb c) {
  x0 = std::max(x0, 0), y0 = std::max(y0, 0);
  x1 = std::min(x1, img.w - 1), y1 = std::min(y1, img.h - 1);
  for (int y = y0; y <= y1; ++y)
    for (int x = x0; x <= x1; ++x) {
      uint8_t* p = &img.rgb[(size_t(y) * size_t(img.w) + size_t(x)) * 3];
      p[0] = c.r, p[1] = c.g, p[2] = c.b;
    }
}

// Normalised coordinate -> pixel index, clamped far enough out that int
// arithmetic cannot overflow for wild boxes.
int to_pixel(float v, int size) {
  return int(std::lround(std::clamp(v * float(size), -1e6f, 1e6f)));
}

}  // namespace

void draw_rect(Image& img, int x0, int y0, int x1, int y1, Rgb c, int thickness) {
  if (x1 < x0) std::swap(x0, x1);
  if (y1 < y0) std::swap(y0, y1);
  const int t = std::max(thickness, 1) - 1;        // extra pixels inwards
  fill(img, x0, y0, x1, std::min(y0 + t, y1), c);  // top
  fill(img, x0, std::max(y1 - t, y0), x1, y1, c);  // bottom
  fill(img, x0, y0, std::min(x0 + t, x1), y1, c);  // left
  fill(img, std::max(x1 - t, x0), y0, x1, y1, c);  // right
}

void draw_dot(Image& img, int x, int y, int radius, Rgb c) {
  const int r = std::max(radius, 0);
  for (int dy = -r; dy <= r; ++dy)
    for (int dx = -r; dx <= r; ++dx)
      if (dx * dx + dy * dy <= r * r) fill(img, x + dx, y + dy, x + dx, y + dy, c);
}

void draw_box(Image& img, const Box& b, Rgb c, int thickness) {
  // The far corner is exclusive in normalised coordinates, inclusive in pixels.
  draw_rect(img, to_pixel(b.x0, img.w), to_pixel(b.y0, img.h), to_pixel(b.x1, img.w) - 1,
            to_pixel(b.y1, img.h) - 1, c, thickness);
  for (const auto& [x, y] : b.keypoints)
    draw_dot(img, to_pixel(x, img.w), to_pixel(y, img.h), thickness, c);
}

}  // namespace npusim::vision
