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

TEST(LiverDensityTest, MedianOfTheHuInsideTheLiverMap) {
  // HU 100 + column/10 inside the rectangle (columns 50..249: 105..124.9),
  // -1000 elsewhere. 200 columns: the median is between columns 149 and 150.
  Image hu{512, 512, std::vector<float>(512 * 512, -1000.0f)};
  for (int y = 100; y < 200; ++y) {
    for (int x = 50; x < 250; ++x) hu.data[y * 512 + x] = 100.0f + x / 10.0f;
  }
  auto m = LiverMedianHu(hu, RectangleMask(), IdentityGrid(512, 512));
  ASSERT_TRUE(m.has_value());
  EXPECT_NEAR(*m, 115.0f, 0.11f);
  // The same liver seen on a 128 px model grid (4 original pixels a model pixel).
  Image coarse{128, 128, std::vector<float>(128 * 128, 0.0f)};
  for (int y = 25; y < 50; ++y) {
    for (int x = 13; x < 62; ++x) coarse.data[y * 128 + x] = 0.8f;
  }
  auto c = LiverMedianHu(hu, coarse, Letterbox::For(512, 512, 128));
  ASSERT_TRUE(c.has_value());
  EXPECT_NEAR(*c, 100.0f + 150.0f / 10.0f, 0.5f);  // columns 52..247
  // Too few liver pixels, or none: no reference.
  EXPECT_FALSE(LiverMedianHu(hu, coarse, Letterbox::For(512, 512, 128), 0.5f, 1'000'000).has_value());
  EXPECT_FALSE(LiverMedianHu(hu, Image{512, 512, std::vector<float>(512 * 512, 0.0f)}, IdentityGrid(512, 512))
                   .has_value());
  EXPECT_FLOAT_EQ(LiverRelativeOffset(115.0f, 60.0f), 55.0f);
  EXPECT_FLOAT_EQ(LiverRelativeOffset(115.0f, 0.0f), 0.0f);
  EXPECT_FLOAT_EQ(LiverRelativeOffset(std::nullopt, 60.0f), 0.0f);
}

TEST(LiverDensityTest, RelativeWindowsSeeAnEnhancedLiverAsTheReference) {
  // A liver at 110 HU with a lesion 40 HU darker, windowed relative to the
  // liver (reference 60), gives the inputs of a liver at 60 with a lesion at 20.
  ModelConfig c;
  c.input_size = 32;
  c.windows = {{150, 60}, {400, 40}};
  auto slice = [](float liver, float lesion) {
    Image hu{32, 32, std::vector<float>(32 * 32, liver)};
    for (int y = 10; y < 20; ++y) {
      for (int x = 10; x < 20; ++x) hu.data[y * 32 + x] = lesion;
    }
    return hu;
  };
  const Letterbox box = Letterbox::For(32, 32, 32);
  auto enhanced = PreprocessHu(slice(110, 70), c, box, LiverRelativeOffset(110.0f, 60.0f));
  auto reference = PreprocessHu(slice(60, 20), c, box);
  ASSERT_EQ(enhanced.size(), reference.size());
  for (size_t i = 0; i < enhanced.size(); ++i) EXPECT_NEAR(enhanced[i], reference[i], 1e-5) << i;
  // Absolute windows do not: the enhanced liver is brighter.
  EXPECT_GT(PreprocessHu(slice(110, 70), c, box)[0], reference[0] + 0.5f);
}

}  // namespace
}  // namespace lsms
