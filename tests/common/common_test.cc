// The shared helpers: PNG encoding and file I/O, and the overlay renderer,
// with expected pixels derived by hand from the window and tint formulas.
#include <filesystem>

#include <gtest/gtest.h>

#include "common/overlay.h"
#include "common/png_codec.h"

namespace lsms {
namespace {

TEST(PngCodecTest, GreyAndRgbRoundTripExactly) {
  for (int channels : {1, 3}) {
    PngImage in{5, 3, channels, {}};
    for (int i = 0; i < 5 * 3 * channels; ++i) in.pixels.push_back(static_cast<uint8_t>(i * 17 % 256));
    auto bytes = EncodePng(in);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    EXPECT_EQ(bytes->substr(1, 3), "PNG");
    auto out = DecodePng(*bytes);
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ(out->width, 5);
    EXPECT_EQ(out->height, 3);
    EXPECT_EQ(out->channels, channels);
    EXPECT_EQ(out->pixels, in.pixels);
  }
}

TEST(PngCodecTest, GarbageAndMissingFilesAreErrors) {
  EXPECT_FALSE(DecodePng("not a png").ok());
  EXPECT_FALSE(DecodePng("").ok());
  EXPECT_EQ(ReadFile("/nonexistent/file.png").status().code(), absl::StatusCode::kNotFound);
  const std::string path = ::testing::TempDir() + "/common_test_file.bin";
  ASSERT_TRUE(WriteFile(path, std::string("a\0b", 3)).ok());
  auto back = ReadFile(path);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, std::string("a\0b", 3));
  std::filesystem::remove(path);
}

std::array<uint8_t, 3> Pixel(const PngImage& img, int x, int y) {
  const size_t i = (static_cast<size_t>(y) * img.width + x) * 3;
  return {img.pixels[i], img.pixels[i + 1], img.pixels[i + 2]};
}

TEST(OverlayTest, WindowTintBoxAndOutlineFollowTheirFormulas) {
  constexpr int kSide = 20;
  std::vector<float> hu(kSide * kSide, 40.0f);
  hu[0] = -1000.0f;  // below the window: black
  hu[1] = 1000.0f;   // above: white
  std::vector<uint8_t> mask(kSide * kSide, 0), truth(kSide * kSide, 0);
  mask[10 * kSide + 10] = 1;
  for (int y = 2; y <= 4; ++y) {
    for (int x = 2; x <= 4; ++x) truth[y * kSide + x] = 1;
  }
  OverlayInput in;
  in.rows = in.cols = kSide;
  in.hu = &hu;
  in.mask = &mask;
  in.truth = &truth;
  const PngImage img = RenderOverlay(in);
  ASSERT_EQ(img.width, kSide);
  ASSERT_EQ(img.channels, 3);
  // Window 40/400 spans -160..240 HU: 40 HU is (40 + 160) / 400 * 255 = 127.5 → 127.
  EXPECT_EQ(Pixel(img, 15, 15), (std::array<uint8_t, 3>{127, 127, 127}));
  EXPECT_EQ(Pixel(img, 0, 0), (std::array<uint8_t, 3>{0, 0, 0}));
  EXPECT_EQ(Pixel(img, 1, 0), (std::array<uint8_t, 3>{255, 255, 255}));
  // Red tint: 0.55 v + 0.45 (255, 40, 40) = (184.875, 88.125, 88.125).
  EXPECT_EQ(Pixel(img, 10, 10), (std::array<uint8_t, 3>{184, 88, 88}));
  // Yellow box one pixel outside the mask, corners included.
  for (auto [x, y] : {std::pair{9, 9}, {10, 9}, {11, 9}, {9, 10}, {11, 10}, {9, 11}, {10, 11}, {11, 11}}) {
    EXPECT_EQ(Pixel(img, x, y), (std::array<uint8_t, 3>{255, 220, 0})) << x << "," << y;
  }
  // Green outline: the truth block's border, not its centre.
  EXPECT_EQ(Pixel(img, 2, 2), (std::array<uint8_t, 3>{40, 230, 40}));
  EXPECT_EQ(Pixel(img, 4, 3), (std::array<uint8_t, 3>{40, 230, 40}));
  EXPECT_EQ(Pixel(img, 3, 3), (std::array<uint8_t, 3>{127, 127, 127}));
}

}  // namespace
}  // namespace lsms
