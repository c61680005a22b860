// Image files and drawing: draw, write PNG, read back (exact round trip), and
// errors that name the file and the reason.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "npusim/vision/image_io.hpp"

namespace npusim::vision {
namespace {

namespace fs = std::filesystem;

class ImageIo : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("npusim_vision_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

Image grey(int w, int h) {
  return Image{w, h, std::vector<uint8_t>(size_t(w * h * 3), 100)};
}

Rgb pixel(const Image& img, int x, int y) {
  const uint8_t* p = &img.rgb[size_t((y * img.w + x) * 3)];
  return {p[0], p[1], p[2]};
}

bool is(const Rgb& a, const Rgb& b) {
  return a.r == b.r && a.g == b.g && a.b == b.b;
}

constexpr Rgb kRed{255, 0, 0};
constexpr Rgb kGrey{100, 100, 100};

TEST_F(ImageIo, RectOutlineHasItsThicknessInwards) {
  Image img = grey(20, 10);
  draw_rect(img, 2, 1, 12, 8, kRed, 2);
  EXPECT_TRUE(is(pixel(img, 2, 1), kRed));    // corner
  EXPECT_TRUE(is(pixel(img, 7, 2), kRed));    // second row of the top edge
  EXPECT_TRUE(is(pixel(img, 7, 3), kGrey));   // inside
  EXPECT_TRUE(is(pixel(img, 11, 5), kRed));   // second column of the right edge
  EXPECT_TRUE(is(pixel(img, 13, 5), kGrey));  // outside
  EXPECT_TRUE(is(pixel(img, 1, 1), kGrey));
}

TEST_F(ImageIo, DrawingIsClippedToTheImage) {
  Image img = grey(8, 8);
  draw_rect(img, -5, -5, 100, 3, kRed, 1);
  draw_dot(img, 7, 7, 1, kRed);
  Box b{-0.5f, 0.5f, 1.5f, 3.0f, 1.0f, 0, {{2.0f, 2.0f}}};
  draw_box(img, b, kRed, 1);  // far outside on three sides: only the top edge shows
  EXPECT_TRUE(is(pixel(img, 0, 3), kRed));
  EXPECT_TRUE(is(pixel(img, 5, 4), kRed));  // box top edge at y = 0.5 x 8
  EXPECT_TRUE(is(pixel(img, 5, 5), kGrey));
  EXPECT_TRUE(is(pixel(img, 7, 7), kRed));
}

TEST_F(ImageIo, BoxAndKeypointsScaleToThePhoto) {
  Image img = grey(40, 20);
  Box b{0.25f, 0.25f, 0.75f, 0.75f, 0.9f, 0, {{0.5f, 0.5f}}};
  draw_box(img, b, kRed, 1);
  EXPECT_TRUE(is(pixel(img, 10, 5), kRed));   // top-left corner (0.25 x 40, 0.25 x 20)
  EXPECT_TRUE(is(pixel(img, 29, 14), kRed));  // bottom-right, inclusive: 30 - 1, 15 - 1
  EXPECT_TRUE(is(pixel(img, 30, 15), kGrey));
  EXPECT_TRUE(is(pixel(img, 20, 10), kRed));  // key point, radius 1
  EXPECT_TRUE(is(pixel(img, 21, 10), kRed));
  EXPECT_TRUE(is(pixel(img, 21, 11), kGrey));  // outside the disc
}

TEST_F(ImageIo, PngRoundTripIsExact) {
  Image img = grey(33, 17);  // odd sizes: no row padding assumptions
  for (size_t i = 0; i < img.rgb.size(); ++i) img.rgb[i] = uint8_t(i * 7);
  draw_rect(img, 3, 3, 20, 12, {0, 255, 0}, 3);
  draw_dot(img, 25, 8, 2, {0, 0, 255});
  write_png(img, path("out.png"));
  const Image back = read_image(path("out.png"));
  EXPECT_EQ(back.w, 33);
  EXPECT_EQ(back.h, 17);
  EXPECT_EQ(back.rgb, img.rgb);
}

void expect_error(const std::function<void()>& f, const std::vector<std::string>& parts) {
  try {
    f();
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    for (const auto& p : parts)
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
  }
}

TEST_F(ImageIo, ErrorsNameTheFileAndReason) {
  const std::string missing = path("missing.png");
  expect_error([&] { read_image(missing); },
               {missing + ": cannot read image: cannot open: No such file or directory"});
  std::ofstream(path("text.png")) << "not an image";
  expect_error([&] { read_image(path("text.png")); }, {path("text.png") + ": cannot read image: "});
  expect_error([&] { read_image(dir_.string()); }, {dir_.string(), "is a directory"});
  const std::string nodir = path("no/such/dir/out.png");
  expect_error([&] { write_png(grey(2, 2), nodir); },
               {nodir + ": cannot write PNG: ", "No such file or directory"});
  expect_error(
      [&] {
        write_png(Image{2, 2, {}}, path("x.png"));
      },
      {"cannot write PNG: image is 2x2 with 0 bytes"});
}

// Found by fuzz_image (docs/fuzzing.md): a DHT segment whose 16 code counts
// add up to more than 256 made stb_image 2.27 write past its Huffman table.
// libjpeg-turbo, which decodes JPEG now, refuses it.
TEST_F(ImageIo, JpegHuffmanTableWithTooManyCodesIsRefused) {
  std::string jpeg = "\xff\xd8\xff\xc4";
  jpeg += {'\x01', '\x3f', '\x00'};  // length 2 + 17 + 300; DC table 0
  jpeg += std::string(14, '\0') + "\xff\x2d" + std::string(300, '\x01') + "\xff\xd9";
  expect_error([&] { decode_image(jpeg, "bad.jpg"); },
               {"bad.jpg: cannot read image: corrupt JPEG: Bogus Huffman table definition"});
  // The same table after a comment and a padding byte between segments.
  const std::string padded = std::string(
                                 "\xff\xd8\xff\xfe\x00\x04"
                                 "ab\x89",
                                 9) +
                             jpeg.substr(2);
  expect_error([&] { decode_image(padded, "padded.jpg"); },
               {"padded.jpg: cannot read image: corrupt JPEG: Bogus Huffman table definition"});
  // Bytes before the start of the image: no JPEG.
  expect_error([&] { decode_image("\xff\xff\xff" + jpeg, "filled.jpg"); },
               {"filled.jpg: cannot read image: unknown image type (PNG, JPEG or BMP expected)"});
}

// Found by fuzz_image: a BMP of a few bytes claiming 8192x8192 pixels was
// decoded from zeros (stb_image reads past the end as 0) for over a minute.
TEST_F(ImageIo, AnImageShorterThanItsHeaderClaimsIsRefused) {
  const std::string header(
      "BM\x00\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00"  // pixels from byte 54
      "\x28\x00\x00\x00\x00\x20\x00\x00\x00\x20\x00\x00"    // 40-byte header, 8192x8192
      "\x01\x00\x18\x00\x00\x00\x00\x00",                   // 1 plane, 24 bits, no compression
      34);
  const std::string bmp = header + std::string(54 - header.size() + 30, '\0');
  expect_error([&] { decode_image(bmp, "huge.bmp"); },
               {"huge.bmp: cannot read image: truncated BMP: 8192x8192 pixels need at least "
                "201326646 bytes (24 bits per pixel from byte 54), the file has 84"});
}

}  // namespace
}  // namespace npusim::vision
