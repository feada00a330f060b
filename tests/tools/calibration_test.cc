#include "tools/eval/calibration.h"

#include <gtest/gtest.h>

namespace lsms::eval {
namespace {

TEST(CalibrationTest, ExpectedCalibrationErrorByHand) {
  // 10 bins. Bin [0.9, 1.0]: confidences 0.95, 0.95, 1.0, 0.9 → mean 0.95,
  // 3 of 4 right → |0.75 − 0.95| = 0.2, weight 4/6.
  // Bin [0.1, 0.2): confidences 0.1, 0.2 − ε → mean ~0.15, 0 of 2 right →
  // |0 − 0.15| = 0.15, weight 2/6. ECE = 0.2·4/6 + 0.15·2/6 = 0.18333.
  const std::vector<double> conf = {0.95, 0.95, 1.0, 0.9, 0.1, 0.2 - 1e-9};
  const std::vector<bool> right = {true, true, true, false, false, false};
  CalibrationReport r = Calibrate(conf, right, 10);
  EXPECT_EQ(r.n, 6);
  ASSERT_EQ(r.bins.size(), 2u);
  EXPECT_EQ(r.bins[0].n, 2);
  EXPECT_NEAR(r.bins[0].lo, 0.1, 1e-12);
  EXPECT_NEAR(r.bins[0].mean_confidence, 0.15, 1e-9);
  EXPECT_EQ(r.bins[1].n, 4);
  EXPECT_NEAR(r.bins[1].accuracy, 0.75, 1e-12);
  EXPECT_NEAR(r.ece, 0.2 * 4 / 6 + 0.15 * 2 / 6, 1e-9);
}

TEST(CalibrationTest, PerfectlyCalibratedIsZeroAndConfidentlyWrongIsOne) {
  // Confidence 0.5 (bin [0.5, 0.6)), half right: calibrated.
  EXPECT_NEAR(Calibrate({0.5, 0.5, 0.5, 0.5}, {true, false, true, false}, 10).ece, 0.0, 1e-12);
  EXPECT_NEAR(Calibrate({1.0, 1.0}, {false, false}, 15).ece, 1.0, 1e-12);
  EXPECT_EQ(Calibrate({}, {}, 15).n, 0);
  EXPECT_EQ(Calibrate({}, {}, 15).ece, 0.0);
  // Out-of-range confidences are clamped into the first and last bins.
  CalibrationReport r = Calibrate({-0.5, 1.5}, {false, true}, 4);
  ASSERT_EQ(r.bins.size(), 2u);
  EXPECT_EQ(r.bins[0].lo, 0.0);
  EXPECT_EQ(r.bins[1].hi, 1.0);
  EXPECT_NEAR(r.ece, 0.0, 1e-12);
}

}  // namespace
}  // namespace lsms::eval
