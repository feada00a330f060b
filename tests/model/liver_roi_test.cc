#include "model/liver_roi.h"

#include <gtest/gtest.h>

namespace lsms {
namespace {

// A 512×512 mask with a 200×100 rectangle at columns [50, 250), rows [100, 200).
Image RectangleMask() {
  Image m{512, 512, std::vector<float>(512 * 512, 0.0f)};
  for (int y = 100; y < 200; ++y) {
    for (int x = 50; x < 250; ++x) m.data[y * 512 + x] = 1.0f;
  }
  return m;
}

TEST(LiverRoiTest, RegionIsTheWidenedSquareAroundTheLiver) {
  LiverRoiOptions o;
  o.margin = 0.1f;
  auto box = LiverRoi(RectangleMask(), IdentityGrid(512, 512), /*size=*/192, o);
  ASSERT_TRUE(box.has_value());
  // Side 200 × 1.2 = 240 original pixels → 192 model pixels.
  EXPECT_NEAR(box->scale, 192.0 / 240.0, 1e-6);
  EXPECT_EQ(box->rows, 512);
  EXPECT_EQ(box->cols, 512);
  // The box's centre (150, 150) lands on the model centre.
  EXPECT_NEAR(150.0 * box->scale + box->pad_x, 96.0, 1e-5);
  EXPECT_NEAR(150.0 * box->scale + box->pad_y, 96.0, 1e-5);
  // The liver's left edge is 20 original pixels inside the crop.
  EXPECT_NEAR(box->OriginalX(0.0), 30.0, 1e-5);
}

TEST(LiverRoiTest, MapOnAModelGridIsMappedBackToTheOriginal) {
  // The same rectangle seen at 128 px (scale 1/4): columns [12.5, 62.5) → [12, 62].
  Letterbox grid = Letterbox::For(512, 512, 128);
  Image m{128, 128, std::vector<float>(128 * 128, 0.0f)};
  for (int y = 25; y < 50; ++y) {
    for (int x = 13; x < 63; ++x) m.data[y * 128 + x] = 0.9f;
  }
  LiverRoiOptions o;
  o.margin = 0.0f;
  auto box = LiverRoi(m, grid, 192, o);
  ASSERT_TRUE(box.has_value());
  EXPECT_NEAR(box->OriginalX(0.0), 52.0, 1e-5);    // 13 × 4
  EXPECT_NEAR(box->OriginalX(192.0), 252.0, 1e-5);  // 63 × 4
  EXPECT_NEAR(box->OriginalY(96.0), 150.0, 1e-5);   // rows [100, 200) centred
}

TEST(LiverRoiTest, NoLiverOrATinyOneMeansNoRegion) {
  Image empty{512, 512, std::vector<float>(512 * 512, 0.0f)};
  EXPECT_FALSE(LiverRoi(empty, IdentityGrid(512, 512), 192, {}).has_value());
  Image speck = empty;
  for (int y = 0; y < 10; ++y) {
    for (int x = 0; x < 10; ++x) speck.data[(300 + y) * 512 + 300 + x] = 1.0f;
  }
  EXPECT_FALSE(LiverRoi(speck, IdentityGrid(512, 512), 192, {}).has_value());
}

TEST(LiverRoiTest, ProbabilitiesBelowTheThresholdAreNotLiver) {
  Image m = RectangleMask();
  for (float& v : m.data) v *= 0.4f;
  EXPECT_FALSE(LiverRoi(m, IdentityGrid(512, 512), 192, {}).has_value());
}

TEST(LiverRoiTest, ARegionAsLargeAsTheImageIsNotUsed) {
  Image full{512, 512, std::vector<float>(512 * 512, 1.0f)};
  EXPECT_FALSE(LiverRoi(full, IdentityGrid(512, 512), 192, {}).has_value());
}

TEST(LiverRoiTest, ZoomIsBoundedByTheMinimumSide) {
  Image m{512, 512, std::vector<float>(512 * 512, 0.0f)};
  for (int y = 200; y < 260; ++y) {
    for (int x = 200; x < 260; ++x) m.data[y * 512 + x] = 1.0f;
  }
  LiverRoiOptions o;
  o.min_side_px = 128;
  auto box = LiverRoi(m, IdentityGrid(512, 512), 192, o);
  ASSERT_TRUE(box.has_value());
  EXPECT_DOUBLE_EQ(box->scale, 192.0 / 128.0);
}

TEST(LiverRoiTest, CropSamplesTheRegionAtHigherResolution) {
  // Preprocessing on the region's letterbox reads the region's pixels: a
  // bright square inside the liver box appears larger than on the whole slice.
  ModelConfig c;
  c.input_size = 64;
  c.windows = {{400, 40}};
  c.norm_mean = 0;
  c.norm_std = 1;
  Image hu{512, 512, std::vector<float>(512 * 512, -1000.0f)};
  for (int y = 140; y < 160; ++y) {
    for (int x = 140; x < 160; ++x) hu.data[y * 512 + x] = 240.0f;  // top of the window
  }
  Letterbox whole;
  auto a = PreprocessHu(hu, c, &whole);
  LiverRoiOptions o;
  o.margin = 0.0f;
  auto region = LiverRoi(RectangleMask(), IdentityGrid(512, 512), 64, o);
  ASSERT_TRUE(region.has_value());
  auto b = PreprocessHu(hu, c, *region);
  auto bright = [](const std::vector<float>& v) {
    int n = 0;
    for (float x : v) n += x > 0.9f;
    return n;
  };
  // Whole slice: 20 px × 1/8 → ~2.5 px a side; region of 200 px: 20 × 0.32 → ~6.4.
  EXPECT_LE(bright(a), 9);
  EXPECT_GE(bright(b), 25);
}

}  // namespace
}  // namespace lsms
