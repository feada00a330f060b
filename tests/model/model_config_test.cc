#include "model/model_config.h"

#include <gtest/gtest.h>

namespace lsms {
namespace {

TEST(ModelConfigTest, OlderConfigsLoadWithOnePassAndTheDefaultPresentThreshold) {
  auto c = ModelConfig::FromJson(R"({"preset": "nano", "vocab_size": 40})");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->roi_margin, 0.0f);
  EXPECT_EQ(c->present_threshold, 0.5f);
}

TEST(ModelConfigTest, RegionAndPresentThresholdRoundTrip) {
  ModelConfig c = *ModelConfig::FromPreset("nano");
  c.roi_margin = 0.12f;
  c.present_threshold = 0.35f;
  auto back = ModelConfig::FromJson(c.ToJson());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->roi_margin, 0.12f);
  EXPECT_EQ(back->present_threshold, 0.35f);
}

TEST(ModelConfigTest, RejectsOutOfRangeRegionAndThreshold) {
  EXPECT_FALSE(ModelConfig::FromJson(R"({"roi_margin": -0.1})").ok());
  EXPECT_FALSE(ModelConfig::FromJson(R"({"roi_margin": 2})").ok());
  EXPECT_FALSE(ModelConfig::FromJson(R"({"present_threshold": 0})").ok());
  EXPECT_FALSE(ModelConfig::FromJson(R"({"present_threshold": 1})").ok());
}

}  // namespace
}  // namespace lsms
