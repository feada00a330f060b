// Calibration of a confidence against correctness (Guo et al. 2017): answers
// are binned by confidence into equal-width bins over [0, 1]; the expected
// calibration error is Σ_b (n_b / N) · |accuracy_b − mean confidence_b|.
// lsms-eval scores an answer correct when its IoU is at least 0.5 and uses
// the confidence the server reports (AnswerConfidence in model/segmenter.h).
#ifndef LSMS_TOOLS_EVAL_CALIBRATION_H_
#define LSMS_TOOLS_EVAL_CALIBRATION_H_

#include <vector>

#include <nlohmann/json.hpp>

namespace lsms::eval {

struct CalibrationBin {
  double lo = 0, hi = 0;
  int n = 0;
  double mean_confidence = 0, accuracy = 0;
};

struct CalibrationReport {
  int n = 0;
  double ece = 0;
  std::vector<CalibrationBin> bins;  // the non-empty ones
  nlohmann::json ToJson() const;
};

// A confidence of exactly 1 falls in the last bin; values outside [0, 1] are
// clamped. Empty input: n = 0, ece = 0.
CalibrationReport Calibrate(const std::vector<double>& confidence, const std::vector<bool>& correct, int bins = 15);

}  // namespace lsms::eval

#endif  // LSMS_TOOLS_EVAL_CALIBRATION_H_
