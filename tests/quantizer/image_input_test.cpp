// Images as calibration inputs: decoding, layout, channel order,
// normalisation, letterboxing and crops, on a PNG written by the test.
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "npusim/compiler/calibration.hpp"

namespace npusim::compiler {
namespace {

namespace fs = std::filesystem;

class ImageInput : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("npusim_images_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    // 20x10 RGB: R = 10 x, G = 20 y, B = 7.
    std::vector<uint8_t> px;
    for (int y = 0; y < 10; ++y)
      for (int x = 0; x < 20; ++x) px.insert(px.end(), {uint8_t(10 * x), uint8_t(20 * y), 7});
    ASSERT_TRUE(stbi_write_png(path().c_str(), 20, 10, 3, px.data(), 20 * 3));
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path() const { return (dir_ / "img.png").string(); }
  fs::path dir_;
};

TEST_F(ImageInput, NchwAtNativeSizeKeepsPixels) {
  ImagePreprocess pp;
  const auto t = load_image(path(), {1, 3, 10, 20}, pp);
  ASSERT_EQ(t.size(), 1u);
  const auto v = t[0].as<float>();
  EXPECT_NEAR(v[(0 * 10 + 3) * 20 + 5], 50 / 255.0f, 1e-6);  // R at (x 5, y 3)
  EXPECT_NEAR(v[(1 * 10 + 3) * 20 + 5], 60 / 255.0f, 1e-6);  // G
  EXPECT_NEAR(v[(2 * 10 + 3) * 20 + 5], 7 / 255.0f, 1e-6);   // B
}

TEST_F(ImageInput, NhwcBgrWithMeanAndStd) {
  ImagePreprocess pp;
  pp.scale = 1.0f;
  pp.mean = {1, 2, 3};
  pp.std = {2, 2, 2};
  pp.bgr = true;
  const auto t = load_image(path(), {1, 10, 20, 3}, pp);  // guessed NHWC: last dim 3
  const auto v = t[0].as<float>();
  const size_t at = (3 * 20 + 5) * 3;
  EXPECT_FLOAT_EQ(v[at + 0], (7 - 1) / 2.0f);  // B first
  EXPECT_FLOAT_EQ(v[at + 1], (60 - 2) / 2.0f);
  EXPECT_FLOAT_EQ(v[at + 2], (50 - 3) / 2.0f);  // R last
}

TEST_F(ImageInput, LetterboxPadsAndCropsAreExtraSamples) {
  ImagePreprocess pp;
  pp.letterbox = true;
  pp.pad_value = 255;
  pp.crops = 3;
  const auto t = load_image(path(), {1, 3, 10, 10}, pp);  // 20x10 into 10x10: 5 rows of image
  ASSERT_EQ(t.size(), 4u);
  const auto v = t[0].as<float>();
  EXPECT_FLOAT_EQ(v[0], 1.0f);           // row 0: padding
  EXPECT_LT(v[5 * 10 + 0], 0.5f);        // row 5: image (R small at the left edge)
  EXPECT_FLOAT_EQ(v[9 * 10 + 9], 1.0f);  // bottom rows: padding
  const auto again = load_image(path(), {1, 3, 10, 10}, pp);
  for (size_t i = 0; i < t.size(); ++i) EXPECT_EQ(t[i].raw(), again[i].raw());  // deterministic
}

TEST_F(ImageInput, FolderOfImagesAndErrors) {
  Graph g;
  g.opset = 13;
  g.inputs = {"x"};
  g.values["x"] = {"x", DType::kFloat32, {1, 3, 10, 20}, true, std::nullopt, ""};
  ImagePreprocess pp;
  EXPECT_EQ(load_inputs(g, {dir_.string()}, pp, 0, 1).size(), 1u);
  pp.mean = {0, 0};
  try {
    load_inputs(g, {path()}, pp, 0, 1);
    FAIL() << "two means for three channels";
  } catch (const CompileError& e) {
    EXPECT_NE(std::string(e.what()).find(path()), std::string::npos) << e.what();
  }
  g.values["x"].shape = {1, 3, 10};
  EXPECT_THROW(load_inputs(g, {path()}, ImagePreprocess{}, 0, 1), CompileError);
}

// Found by fuzz_image: stb_image 2.27 wrote past its Huffman table for a DHT
// segment of more than 256 codes. JPEG now goes to libjpeg-turbo, which
// refuses it, also after the first scan, where a JPEG may define tables
// again; a sound JPEG decodes.
TEST_F(ImageInput, ACorruptHuffmanTableIsRefusedByTheJpegDecoder) {
  std::string jpeg;
  std::vector<uint8_t> px(16 * 8 * 3, 90);
  ASSERT_TRUE(stbi_write_jpg_to_func(
      [](void* context, void* data, int size) {
        static_cast<std::string*>(context)->append(static_cast<char*>(data), size_t(size));
      },
      &jpeg, 16, 8, 3, px.data(), 90));
  ImagePreprocess pp;
  const Shape shape = {1, 3, 8, 16};
  EXPECT_EQ(load_image_bytes(jpeg, "good.jpg", shape, pp).size(), 1u);

  std::string bad_table = "\xff\xc4";
  bad_table += {'\x01', '\x3f', '\x11'};  // length 2 + 17 + 300; AC table 1
  bad_table += std::string(14, '\0') + "\xff\x2d" + std::string(300, '\x01');
  ASSERT_EQ(jpeg.substr(jpeg.size() - 2), "\xff\xd9");
  const std::string after_scan = jpeg.substr(0, jpeg.size() - 2) + bad_table + "\xff\xd9";
  try {
    load_image_bytes(after_scan, "bad.jpg", shape, pp);
    FAIL() << "a table of 300 codes after the scan was accepted";
  } catch (const CompileError& e) {
    EXPECT_EQ(std::string(e.what()),
              "bad.jpg: cannot decode image (corrupt JPEG: Bogus Huffman table definition)");
  }
}

// Found by fuzz_image: stb_image decodes a BMP whose header says height 0,
// and resizing 2557440x0 pixels divided by zero inside stb_image_resize.
TEST_F(ImageInput, AnImageOfZeroHeightIsRefused) {
  const std::string bmp(
      "\x42\x4d\xde\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00\x00\x06\x27\x00"
      "\x00\x00\x00\x00\x01\x00\x18\x00\x00\x00\x00\x00\xa8\x00\x00\x00\x13\x0b\x96\x96\x96\x00"
      "\x01\x00\x01\x00\x00\xff\x2e\xff\xbc\xff\xf7\xf9\xf9\xf8\x06\x05\x08\x07\x07\x07\x09\x09"
      "\x08\x0a\x0c\x14\x0d\x0c\x0b\x0b\x0c\x19\x12\x13\x0f\x14\x1d\x1a\x1f\x1e\x1d\x1a\x1c\x1c"
      "\x20\x10\xf8\xef\x24\x2e",
      94);
  try {
    load_image_bytes(bmp, "flat.bmp", {1, 3, 8, 8}, ImagePreprocess{});
    FAIL() << "an image of no pixels was accepted";
  } catch (const CompileError& e) {
    EXPECT_EQ(std::string(e.what()), "flat.bmp: cannot decode image (it has 2557440x0 pixels)");
  }
}

// Found by fuzz_image: stb_image reads past the end of a BMP's rows or a
// JPEG's coded data as zeros, so a file cut short decoded into black rows,
// and a BMP of 64 bytes claiming 8192x8192 pixels took over a minute under
// ASan to decode and resize. A BMP is refused from its header's sizes; a
// JPEG by libjpeg-turbo when its data ends early.
std::string encoded(int (*write)(stbi_write_func*, void*, int, int, int, const void*), int w,
                    int h) {
  std::string out;
  std::vector<uint8_t> px(size_t(w) * h * 3, 90);
  EXPECT_TRUE(write(
      [](void* context, void* data, int size) {
        static_cast<std::string*>(context)->append(static_cast<char*>(data), size_t(size));
      },
      &out, w, h, 3, px.data()));
  return out;
}

std::string decode_error(const std::string& bytes, const std::string& name) {
  try {
    load_image_bytes(bytes, name, {1, 3, 8, 8}, ImagePreprocess{});
  } catch (const CompileError& e) {
    return e.what();
  }
  return "accepted";
}

TEST_F(ImageInput, AnImageShorterThanItsHeaderClaimsIsRefused) {
  // 5x3 at 24 bits: rows of 15 bytes padded to 16, from byte 54.
  const std::string bmp = encoded(stbi_write_bmp_to_func, 5, 3);
  ASSERT_EQ(bmp.size(), 54u + 3 * 16);
  EXPECT_EQ(decode_error(bmp, "full.bmp"), "accepted");
  EXPECT_EQ(decode_error(bmp.substr(0, bmp.size() - 1), "padless.bmp"), "accepted");
  EXPECT_EQ(decode_error(bmp.substr(0, 54 + 2 * 16 + 14), "cut.bmp"),
            "cut.bmp: cannot decode image (truncated BMP: 5x3 pixels need at least 101 bytes "
            "(24 bits per pixel from byte 54), the file has 100)");
  std::string huge = bmp.substr(0, 64);  // width and height 8192
  huge.replace(18, 8, std::string("\x00\x20\x00\x00\x00\x20\x00\x00", 8));
  EXPECT_EQ(decode_error(huge, "huge.bmp"),
            "huge.bmp: cannot decode image (truncated BMP: 8192x8192 pixels need at least "
            "201326646 bytes (24 bits per pixel from byte 54), the file has 64)");

  // A 16x8 JPEG whose frame header is changed to claim 8192x8192 pixels.
  auto jpg = [](stbi_write_func* f, void* c, int w, int h, int n, const void* d) {
    return stbi_write_jpg_to_func(f, c, w, h, n, d, 90);
  };
  std::string jpeg = encoded(jpg, 16, 8);
  EXPECT_EQ(decode_error(jpeg, "small.jpg"), "accepted");
  const size_t frame = jpeg.find("\xff\xc0");
  ASSERT_NE(frame, std::string::npos);
  jpeg.replace(frame + 5, 4, std::string("\x20\x00\x20\x00", 4));
  EXPECT_EQ(decode_error(jpeg, "claims.jpg"),
            "claims.jpg: cannot decode image (corrupt JPEG: Corrupt JPEG data: premature end of "
            "data segment)");
}

// Found by fuzz_image: stb_image copied the zero bytes of an empty IDAT
// chunk before the first one with data from a null buffer (undefined
// behaviour). The empty chunk is dropped; the image is the same.
TEST_F(ImageInput, AnEmptyImageDataChunkBeforeTheDataChangesNothing) {
  auto png = [](stbi_write_func* f, void* c, int w, int h, int n, const void* d) {
    return stbi_write_png_to_func(f, c, w, h, n, d, w * n);
  };
  const std::string plain = encoded(png, 5, 3);
  const size_t idat = plain.find("IDAT") - 4;  // the chunk starts with its length
  const std::string empty_chunk("\x00\x00\x00\x00IDAT\x35\xaf\x06\x1e", 12);
  const std::string with_empty = plain.substr(0, idat) + empty_chunk + plain.substr(idat);
  const Shape shape = {1, 3, 3, 5};
  const auto repaired = load_image_bytes(with_empty, "empty_idat.png", shape, ImagePreprocess{});
  const auto original = load_image_bytes(plain, "plain.png", shape, ImagePreprocess{});
  ASSERT_EQ(repaired.size(), 1u);
  ASSERT_EQ(original.size(), 1u);
  EXPECT_EQ(repaired[0].raw(), original[0].raw());
}

// Found by fuzz_image: stb_image allocates an IDAT chunk's length before
// reading the chunk, so a file of 300 bytes claiming 2 GB asked for 2 GB;
// and it read an empty IDAT cut after its type from a null buffer. A chunk
// longer than what follows it in the file is refused.
TEST_F(ImageInput, APngChunkLongerThanTheFileIsRefused) {
  auto png = [](stbi_write_func* f, void* c, int w, int h, int n, const void* d) {
    return stbi_write_png_to_func(f, c, w, h, n, d, w * n);
  };
  std::string bytes = encoded(png, 5, 3);
  const size_t idat = bytes.find("IDAT") - 4;
  bytes.replace(idat, 4, std::string("\x7f\xff\xff\xff", 4));
  EXPECT_EQ(decode_error(bytes, "long.png"),
            "long.png: cannot decode image (corrupt PNG: chunk IDAT at byte " +
                std::to_string(idat) +
                " claims 2147483647 bytes of data and a 4-byte CRC, the file has " +
                std::to_string(bytes.size() - idat - 8) + " after its header)");
  // A file that ends inside a chunk's CRC, or inside the next chunk's
  // length and type, is truncated.
  const std::string plain = encoded(png, 5, 3);
  const size_t iend = plain.find("IEND") - 4;
  EXPECT_EQ(decode_error(plain.substr(0, iend - 1), "cut.png"),
            "cut.png: cannot decode image (corrupt PNG: chunk IDAT at byte " +
                std::to_string(idat) + " claims " + std::to_string(iend - idat - 12) +
                " bytes of data and a 4-byte CRC, the file has " +
                std::to_string(iend - 1 - idat - 8) + " after its header)");
  EXPECT_EQ(decode_error(plain.substr(0, iend + 6), "cut.png"),
            "cut.png: cannot decode image (truncated PNG: the chunk at byte " +
                std::to_string(iend) + " has 6 of the 8 bytes of its length and type)");
}

}  // namespace
}  // namespace npusim::compiler
