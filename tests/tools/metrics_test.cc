#include "tools/eval/metrics.h"

#include <gtest/gtest.h>

namespace lsms::eval {
namespace {

TEST(EvalMetricsTest, ScoresHandMadeMasks) {
  // 2×4 masks: prediction covers 3 pixels, target 2, overlap 1.
  std::vector<uint8_t> p = {1, 1, 1, 0, 0, 0, 0, 0};
  std::vector<uint8_t> t = {0, 0, 1, 1, 0, 0, 0, 0};
  SampleScore s = Score(p, t);
  EXPECT_EQ(s.intersection, 1u);
  EXPECT_EQ(s.uni, 4u);
  EXPECT_DOUBLE_EQ(s.iou, 0.25);
  EXPECT_DOUBLE_EQ(s.dice, 2.0 / 5.0);
}

TEST(EvalMetricsTest, EmptyTargetAndEmptyPredictionIsPerfect) {
  std::vector<uint8_t> z(8, 0), one = {1, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_DOUBLE_EQ(Score(z, z).iou, 1.0);
  EXPECT_DOUBLE_EQ(Score(one, z).iou, 0.0);
}

TEST(EvalMetricsTest, SummaryMatchesHandComputedValues) {
  MetricAccumulator acc;
  // IoU 1.0 (3/3), 0.25 (1/4), and a no-target sample answered empty.
  acc.Add("a", Score({1, 1, 1, 0}, {1, 1, 1, 0}));
  acc.Add("a", Score({1, 1, 1, 0}, {0, 0, 1, 1}));
  acc.Add("none", Score({0, 0, 0, 0}, {0, 0, 0, 0}));
  Summary s = acc.Overall();
  EXPECT_EQ(s.n, 3);
  EXPECT_DOUBLE_EQ(s.miou, (1.0 + 0.25 + 1.0) / 3);
  EXPECT_DOUBLE_EQ(s.oiou, (3.0 + 1.0 + 0.0) / (3.0 + 4.0 + 0.0));
  EXPECT_DOUBLE_EQ(s.precision.at("P@0.5"), 2.0 / 3);
  EXPECT_DOUBLE_EQ(s.precision.at("P@0.9"), 2.0 / 3);
  EXPECT_EQ(s.no_target_n, 1);
  EXPECT_DOUBLE_EQ(s.no_target_accuracy, 1.0);
  EXPECT_DOUBLE_EQ(acc.ByKind().at("a").miou, 0.625);
}

}  // namespace
}  // namespace lsms::eval
