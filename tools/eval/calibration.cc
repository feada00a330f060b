#include "tools/eval/calibration.h"

#include <algorithm>
#include <cmath>

namespace lsms::eval {

nlohmann::json CalibrationReport::ToJson() const {
  nlohmann::json b = nlohmann::json::array();
  for (const auto& x : bins) {
    b.push_back({{"lo", x.lo}, {"hi", x.hi}, {"n", x.n}, {"mean_confidence", x.mean_confidence}, {"accuracy", x.accuracy}});
  }
  return {{"n", n}, {"ece", ece}, {"bins", b}};
}

CalibrationReport Calibrate(const std::vector<double>& confidence, const std::vector<bool>& correct, int bins) {
  CalibrationReport r;
  const size_t n = std::min(confidence.size(), correct.size());
  r.n = static_cast<int>(n);
  if (n == 0 || bins <= 0) return r;
  std::vector<double> conf_sum(bins, 0.0), right(bins, 0.0);
  std::vector<int> count(bins, 0);
  for (size_t i = 0; i < n; ++i) {
    const double c = std::clamp(confidence[i], 0.0, 1.0);
    const int b = std::min(bins - 1, static_cast<int>(c * bins));
    conf_sum[b] += c;
    right[b] += correct[i] ? 1.0 : 0.0;
    ++count[b];
  }
  for (int b = 0; b < bins; ++b) {
    if (!count[b]) continue;
    CalibrationBin x;
    x.lo = static_cast<double>(b) / bins;
    x.hi = static_cast<double>(b + 1) / bins;
    x.n = count[b];
    x.mean_confidence = conf_sum[b] / count[b];
    x.accuracy = right[b] / count[b];
    r.ece += static_cast<double>(count[b]) / n * std::abs(x.accuracy - x.mean_confidence);
    r.bins.push_back(x);
  }
  return r;
}

}  // namespace lsms::eval
