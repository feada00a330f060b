#include "tools/eval/present_sweep.h"

#include <gtest/gtest.h>

namespace lsms::eval {
namespace {

// Four expressions on a 1×4 strip.
const std::vector<uint8_t> kTarget = {1, 1, 0, 0}, kNone = {0, 0, 0, 0};
const std::vector<uint8_t> kExact = {1, 1, 0, 0}, kHalf = {1, 0, 0, 0}, kBlob = {0, 0, 1, 0};

std::vector<SweepSample> Samples() {
  // kind, present score, peak, mask, truth.
  return {{"size_rank", 0.9f, 0.95f, &kExact, &kTarget},  // IoU 1 while open
          {"location", 0.3f, 0.6f, &kHalf, &kTarget},     // IoU 0.5 while open
          {"no_target", 0.5f, 0.55f, &kBlob, &kNone},     // wrong while open
          {"no_target", 0.05f, 0.1f, &kNone, &kNone}};    // right either way
}

TEST(PresentSweepTest, GatesEachSampleOnItsReportedScore) {
  auto rows = SweepGates(Samples(), 0.02, {0.02, 0.4, 0.6, 0.95});
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
  EXPECT_NE(SweepMarkdown(*rows).find("| 0.60 | 0.00 | 0.750 |"), std::string::npos);
}

TEST(PresentSweepTest, PeakGateEmptiesAnswersWhosePeakIsBelowIt) {
  auto rows = SweepGates(Samples(), 0.02, {0.02}, 0.0, {0.0, 0.58, 0.7});
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_DOUBLE_EQ((*rows)[0].overall.miou, 2.5 / 4);  // no peak gate
  // 0.58: the spurious blob (peak 0.55) is emptied, the location answer (0.6) stands.
  EXPECT_DOUBLE_EQ((*rows)[1].peak_threshold, 0.58);
  EXPECT_DOUBLE_EQ((*rows)[1].overall.miou, 3.5 / 4);
  EXPECT_DOUBLE_EQ((*rows)[1].overall.no_target_accuracy, 1.0);
  EXPECT_EQ((*rows)[1].targets_said_absent, 0);
  // 0.7: the location answer goes too.
  EXPECT_DOUBLE_EQ((*rows)[2].overall.miou, 3.0 / 4);
  EXPECT_EQ((*rows)[2].targets_said_absent, 1);
}

TEST(PresentSweepTest, SweepsEveryPairOrderedByPeakThenPresent) {
  auto rows = SweepGates(Samples(), 0.02, {0.02, 0.4}, 0.0, {0.0, 0.58});
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 4u);
  EXPECT_DOUBLE_EQ((*rows)[1].threshold, 0.4);
  EXPECT_DOUBLE_EQ((*rows)[1].peak_threshold, 0.0);
  EXPECT_DOUBLE_EQ((*rows)[3].threshold, 0.4);
  EXPECT_DOUBLE_EQ((*rows)[3].peak_threshold, 0.58);
  // 0.4 and 0.58 together: location (present 0.3) and the blob are emptied.
  EXPECT_DOUBLE_EQ((*rows)[3].overall.miou, 3.0 / 4);
}

TEST(PresentSweepTest, RefusesThresholdsBelowTheRunsOwn) {
  EXPECT_EQ(SweepGates(Samples(), 0.2, {0.1}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SweepGates(Samples(), 0.2, {1.0}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SweepGates(Samples(), 0.2, {0.2}, 0.6, {0.5}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SweepGates(Samples(), 0.2, {0.2}, 0.0, {1.0}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

SweepRow Row(double threshold, double peak, double no_target_accuracy, double miou, int no_target_n = 100) {
  SweepRow r;
  r.threshold = threshold;
  r.peak_threshold = peak;
  r.overall.no_target_n = no_target_n;
  r.overall.no_target_accuracy = no_target_accuracy;
  r.overall.miou = miou;
  return r;
}

TEST(PresentSweepTest, RuleChoosesTheBestMiouAmongRowsThatReachTheNoTargetAccuracy) {
  // Unsorted on purpose. Three rows reach 0.96; the peak-gated one keeps the most mIoU.
  auto g = ChooseGates({Row(0.6, 0, 0.99, 0.74), Row(0.02, 0, 0.90, 0.80), Row(0.02, 0.7, 0.97, 0.78),
                        Row(0.2, 0, 0.96, 0.76)},
                       0.96);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_DOUBLE_EQ(g->present_threshold, 0.02);
  EXPECT_DOUBLE_EQ(g->peak_threshold, 0.7);
}

TEST(PresentSweepTest, RuleBreaksMiouTiesTowardTheLowerGates) {
  auto g = ChooseGates({Row(0.4, 0.6, 0.97, 0.78), Row(0.2, 0.6, 0.97, 0.78), Row(0.2, 0.7, 0.98, 0.78)}, 0.96);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_DOUBLE_EQ(g->present_threshold, 0.2);
  EXPECT_DOUBLE_EQ(g->peak_threshold, 0.6);
}

TEST(PresentSweepTest, RuleFallsBackToTheHighestNoTargetAccuracy) {
  // None reaches 0.97: 0.4 and 0.7 tie at the highest, the better mIoU wins.
  auto g = ChooseGates({Row(0.7, 0, 0.95, 0.70), Row(0.02, 0, 0.90, 0.80), Row(0.4, 0, 0.95, 0.75),
                        Row(0.2, 0, 0.93, 0.78)},
                       0.97);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_DOUBLE_EQ(g->present_threshold, 0.4);
}

TEST(PresentSweepTest, RuleAgreesWithTheSweepOfRealSamples) {
  auto rows = SweepGates(Samples(), 0.02, {0.02, 0.4, 0.6, 0.95}, 0.0, {0.0, 0.58});
  ASSERT_TRUE(rows.ok()) << rows.status();
  // No-target accuracy 1 at (0.6, 0) with mIoU 0.75, but (0.02, 0.58) keeps the location answer: 0.875.
  auto g = ChooseGates(*rows, 1.0);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_DOUBLE_EQ(g->present_threshold, 0.02);
  EXPECT_DOUBLE_EQ(g->peak_threshold, 0.58);
}

TEST(PresentSweepTest, RuleRefusesToCalibrateWithoutNoTargetExpressions) {
  EXPECT_EQ(ChooseGates({}, 0.95).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ChooseGates({Row(0.2, 0, 0.0, 0.5, 0)}, 0.95).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace lsms::eval
