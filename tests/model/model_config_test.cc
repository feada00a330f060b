#include "model/model_config.h"

#include <gtest/gtest.h>

namespace lsms {
namespace {

TEST(ModelConfigTest, OlderConfigsLoadWithOnePassAndTheDefaultPresentThreshold) {
  auto c = ModelConfig::FromJson(R"({"preset": "nano", "vocab_size": 40})");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->roi_margin, 0.0f);
  EXPECT_EQ(c->liver_reference_hu, 0.0f);  // absolute windows
  EXPECT_EQ(c->present_threshold, 0.5f);
}

TEST(ModelConfigTest, RegionAndPresentThresholdRoundTrip) {
  ModelConfig c = *ModelConfig::FromPreset("nano");
  c.roi_margin = 0.12f;
  c.liver_reference_hu = 60.0f;
  c.present_threshold = 0.35f;
  auto back = ModelConfig::FromJson(c.ToJson());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->roi_margin, 0.12f);
  EXPECT_EQ(back->liver_reference_hu, 60.0f);
  EXPECT_EQ(back->present_threshold, 0.35f);
}

TEST(ModelConfigTest, RejectsOutOfRangeRegionAndThreshold) {
  EXPECT_FALSE(ModelConfig::FromJson(R"({"roi_margin": -0.1})").ok());
  EXPECT_FALSE(ModelConfig::FromJson(R"({"roi_margin": 2})").ok());
  EXPECT_FALSE(ModelConfig::FromJson(R"({"liver_reference_hu": 1000})").ok());
  EXPECT_FALSE(ModelConfig::FromJson(R"({"present_threshold": 0})").ok());
  EXPECT_FALSE(ModelConfig::FromJson(R"({"present_threshold": 1})").ok());
}

TEST(ModelConfigTest, OlderConfigsComposeTheMaskAsAProductOfCandidatesAtPointFour) {
  auto c = ModelConfig::FromJson(R"({"preset": "nano"})");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->candidate_threshold, 0.4f);
  EXPECT_EQ(c->selection_mask, "product");
}

TEST(ModelConfigTest, OlderConfigsHaveNoCandidateRelationNewPresetsDo) {
  EXPECT_EQ(ModelConfig::FromJson(R"({"preset": "nano"})")->candidate_relation_heads, 0);
  ModelConfig c = *ModelConfig::FromPreset("nano");
  EXPECT_EQ(c.candidate_relation_heads, 4);
  EXPECT_EQ(ModelConfig::FromJson(c.ToJson())->candidate_relation_heads, 4);
  EXPECT_FALSE(ModelConfig::FromJson(R"({"candidate_relation_heads": 3})").ok());  // 128 % 3
  EXPECT_FALSE(ModelConfig::FromJson(R"({"candidate_relation_heads": -1})").ok());
}

TEST(ModelConfigTest, SelectionSettingsRoundTripAndAreValidated) {
  ModelConfig c = *ModelConfig::FromPreset("nano");
  c.candidate_threshold = 0.3f;
  c.selection_mask = "instance";
  auto back = ModelConfig::FromJson(c.ToJson());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->candidate_threshold, 0.3f);
  EXPECT_EQ(back->selection_mask, "instance");
  EXPECT_FALSE(ModelConfig::FromJson(R"({"candidate_threshold": 1.5})").ok());
  auto bad = ModelConfig::FromJson(R"({"selection_mask": "union"})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("selection_mask"), std::string::npos) << bad.status();
}

TEST(ModelConfigTest, PeakThresholdIsOffInOlderConfigsRoundTripsAndIsValidated) {
  EXPECT_EQ(ModelConfig::FromJson(R"({"preset": "nano"})")->peak_threshold, 0.0f);
  ModelConfig c = *ModelConfig::FromPreset("nano");
  c.peak_threshold = 0.7f;
  auto back = ModelConfig::FromJson(c.ToJson());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->peak_threshold, 0.7f);
  EXPECT_FALSE(ModelConfig::FromJson(R"({"peak_threshold": 1})").ok());
  auto bad = ModelConfig::FromJson(R"({"peak_threshold": -0.2})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("peak_threshold"), std::string::npos) << bad.status();
  Calibration cal;
  cal.peak_threshold = 0.6f;
  EXPECT_FALSE(cal.empty());
  ASSERT_TRUE(ApplyCalibration(cal, &c).ok());
  EXPECT_EQ(c.peak_threshold, 0.6f);
}

TEST(ModelConfigTest, CalibrationAppliesOnlyValidSetFields) {
  ModelConfig c = *ModelConfig::FromPreset("nano");
  Calibration cal;
  EXPECT_TRUE(cal.empty());
  cal.candidate_threshold = 0.25f;
  ASSERT_TRUE(ApplyCalibration(cal, &c).ok());
  EXPECT_EQ(c.candidate_threshold, 0.25f);
  EXPECT_EQ(c.present_threshold, 0.5f);  // unset: kept
  EXPECT_EQ(c.selection_mask, "product");
  Calibration bad;
  bad.present_threshold = 0.7f;
  bad.selection_mask = "sum";
  auto st = ApplyCalibration(bad, &c);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("selection_mask"), std::string::npos) << st;
  EXPECT_EQ(c.present_threshold, 0.5f);  // unchanged on error
}

}  // namespace
}  // namespace lsms
