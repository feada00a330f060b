#include "model/flop_count.h"

#include <gtest/gtest.h>

namespace lsms {
namespace {

TEST(FlopCountTest, TextCostDoesNotDependOnImageSize) {
  ModelConfig a = *ModelConfig::FromPreset("nano");
  ModelConfig b = a;
  b.input_size = 512;
  EXPECT_EQ(CountFlops(a).text, CountFlops(b).text);
}

TEST(FlopCountTest, VisionCostGrowsWithPixels) {
  ModelConfig a = *ModelConfig::FromPreset("nano");
  ModelConfig b = a;
  b.input_size = 512;
  // Convolutions scale with the pixel count; the decoder's global attention
  // grows faster.
  EXPECT_NEAR(CountFlops(b).vision / CountFlops(a).vision, 4.0, 0.05);
  EXPECT_GT(CountFlops(b).decoder / CountFlops(a).decoder, 4.0);
}

TEST(FlopCountTest, OneTextLayerMatchesHandCount) {
  ModelConfig c = *ModelConfig::FromPreset("nano");
  c.text_layers = 1;
  const double t = 32, d = 128, ffn = 512;
  const double want = 4 * 2 * t * d * d + 2 * 2 * t * t * d + 2 * 2 * t * d * ffn;
  EXPECT_DOUBLE_EQ(CountFlops(c).text, want);
}

TEST(FlopCountTest, RefinementHeadMatchesHandCount) {
  ModelConfig with = *ModelConfig::FromPreset("nano");
  ModelConfig without = with;
  without.refine_channels = 0;
  with.input_size = without.input_size = 64;
  with.refine_channels = 4;
  // 3 windows → 4, 4 → 4, 1×1 squeeze of the 64-channel fine features at
  // 16×16, (4+4+3) → 4, 4 → 3 logits; 2 FLOPs per multiply-add.
  const double hw = 64 * 64, want = 2 * hw * (4 * 3 * 9 + 4 * 4 * 9 + 11 * 4 * 9 + 3 * 4) +
                                    2 * 16 * 16 * 4 * 64;
  EXPECT_DOUBLE_EQ(CountFlops(with).decoder - CountFlops(without).decoder, want);
}

TEST(FlopCountTest, BaseIsTheLargestPreset) {
  EXPECT_GT(CountFlops(*ModelConfig::FromPreset("base")).total(),
            CountFlops(*ModelConfig::FromPreset("tiny")).total());
  EXPECT_GT(CountFlops(*ModelConfig::FromPreset("tiny")).total(),
            CountFlops(*ModelConfig::FromPreset("nano")).total());
}

}  // namespace
}  // namespace lsms
