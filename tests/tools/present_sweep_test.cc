#include "tools/eval/present_sweep.h"

#include <gtest/gtest.h>

namespace lsms::eval {
namespace {

// Four expressions on a 1×4 strip.
const std::vector<uint8_t> kTarget = {1, 1, 0, 0}, kNone = {0, 0, 0, 0};
const std::vector<uint8_t> kExact = {1, 1, 0, 0}, kHalf = {1, 0, 0, 0}, kBlob = {0, 0, 1, 0};

std::vector<SweepSample> Samples() {
  return {{"size_rank", 0.9f, &kExact, &kTarget},   // IoU 1 while open
          {"location", 0.3f, &kHalf, &kTarget},     // IoU 0.5 while open
          {"no_target", 0.5f, &kBlob, &kNone},      // wrong while open
          {"no_target", 0.05f, &kNone, &kNone}};    // right either way
}

TEST(PresentSweepTest, GatesEachSampleOnItsReportedScore) {
  auto rows = SweepPresentThreshold(Samples(), 0.02, {0.02, 0.4, 0.6, 0.95});
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 4u);
  // 0.02: everything open: IoUs 1, 0.5, 0, 1.
  EXPECT_DOUBLE_EQ((*rows)[0].overall.miou, 2.5 / 4);
  EXPECT_DOUBLE_EQ((*rows)[0].overall.no_target_accuracy, 0.5);
  EXPECT_EQ((*rows)[0].targets_said_absent, 0);
  EXPECT_EQ((*rows)[0].no_targets_said_present, 2);  // open, though only one draws a mask
  // 0.4: the location answer (0.3) is emptied: IoUs 1, 0, 0, 1.
  EXPECT_DOUBLE_EQ((*rows)[1].overall.miou, 2.0 / 4);
  EXPECT_EQ((*rows)[1].targets_said_absent, 1);
  EXPECT_EQ((*rows)[1].no_targets_said_present, 1);
  // 0.6: the spurious blob (0.5) is emptied too: IoUs 1, 0, 1, 1.
  EXPECT_DOUBLE_EQ((*rows)[2].overall.miou, 3.0 / 4);
  EXPECT_DOUBLE_EQ((*rows)[2].overall.no_target_accuracy, 1.0);
  EXPECT_EQ((*rows)[2].no_targets_said_present, 0);
  // 0.95: every mask empty: IoUs 0, 0, 1, 1.
  EXPECT_DOUBLE_EQ((*rows)[3].overall.miou, 2.0 / 4);
  EXPECT_EQ((*rows)[3].targets_said_absent, 2);
  EXPECT_NE(SweepMarkdown(*rows).find("| 0.60 | 0.750 |"), std::string::npos);
}

TEST(PresentSweepTest, RefusesThresholdsBelowTheRunsOwn) {
  EXPECT_EQ(SweepPresentThreshold(Samples(), 0.2, {0.1}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SweepPresentThreshold(Samples(), 0.2, {1.0}).status().code(), absl::StatusCode::kInvalidArgument);
}

SweepRow Row(double threshold, double no_target_accuracy, int no_target_n = 100) {
  SweepRow r;
  r.threshold = threshold;
  r.overall.no_target_n = no_target_n;
  r.overall.no_target_accuracy = no_target_accuracy;
  return r;
}

TEST(PresentSweepTest, RuleChoosesTheLowestThresholdThatReachesTheNoTargetAccuracy) {
  // Unsorted on purpose; 0.2 and 0.6 both reach 0.96, the lower wins.
  auto t = ChoosePresentThreshold({Row(0.6, 0.99), Row(0.02, 0.90), Row(0.2, 0.96), Row(0.1, 0.95)}, 0.96);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_DOUBLE_EQ(*t, 0.2);
}

TEST(PresentSweepTest, RuleFallsBackToTheHighestNoTargetAccuracy) {
  // None reaches 0.97: 0.4 and 0.7 tie at the highest, the lower wins.
  auto t = ChoosePresentThreshold({Row(0.7, 0.95), Row(0.02, 0.90), Row(0.4, 0.95), Row(0.2, 0.93)}, 0.97);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_DOUBLE_EQ(*t, 0.4);
}

TEST(PresentSweepTest, RuleAgreesWithTheSweepOfRealSamples) {
  auto rows = SweepPresentThreshold(Samples(), 0.02, {0.02, 0.4, 0.6, 0.95});
  ASSERT_TRUE(rows.ok()) << rows.status();
  auto t = ChoosePresentThreshold(*rows, 1.0);  // no-target accuracy 1 first at 0.6
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_DOUBLE_EQ(*t, 0.6);
}

TEST(PresentSweepTest, RuleRefusesToCalibrateWithoutNoTargetExpressions) {
  EXPECT_EQ(ChoosePresentThreshold({}, 0.95).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ChoosePresentThreshold({Row(0.2, 0.0, 0)}, 0.95).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace lsms::eval
