#include "model/preprocess.h"

#include <gtest/gtest.h>

namespace lsms {
namespace {

TEST(PreprocessTest, LetterboxPadsTheShortSide) {
  Letterbox b = Letterbox::For(/*rows=*/256, /*cols=*/512, /*size=*/256);
  EXPECT_DOUBLE_EQ(b.scale, 0.5);
  EXPECT_DOUBLE_EQ(b.pad_x, 0.0);
  EXPECT_DOUBLE_EQ(b.pad_y, 64.0);
}

TEST(PreprocessTest, WindowsHounsfieldUnitsAndPadsWithAir) {
  ModelConfig c;
  c.input_size = 32;
  c.windows = {{400, 40}};
  c.norm_mean = 0;
  c.norm_std = 1;
  Image hu{16, 32, std::vector<float>(16 * 32, 40.0f)};  // level → 0.5
  Letterbox box;
  std::vector<float> x = PreprocessHu(hu, c, &box);
  ASSERT_EQ(x.size(), 32u * 32u);
  EXPECT_NEAR(x[16 * 32 + 16], 0.5f, 1e-5);  // centre: inside the image
  EXPECT_NEAR(x[0], 0.0f, 1e-5);             // top rows: padding = air
}

TEST(PreprocessTest, InverseMappingRestoresOriginalGrid) {
  ModelConfig c;
  c.input_size = 64;
  Image img{48, 80, std::vector<float>(48 * 80, 0.0f)};
  for (int y = 10; y < 30; ++y) {
    for (int x = 20; x < 60; ++x) img.data[y * 80 + x] = 1.0f;
  }
  Letterbox box = Letterbox::For(48, 80, 64);
  Image model = ToModel(img, box);
  Image back = ToOriginal(model, box);
  ASSERT_EQ(back.rows, 48);
  ASSERT_EQ(back.cols, 80);
  int agree = 0;
  for (size_t i = 0; i < img.data.size(); ++i) agree += (back.data[i] > 0.5f) == (img.data[i] > 0.5f);
  EXPECT_GT(agree, static_cast<int>(img.data.size() * 0.97));
}

}  // namespace
}  // namespace lsms
