// Calibration sweep of the target-present threshold from one evaluation run:
// a prediction made with threshold T0 is the ungated mask wherever its
// reported presence score is ≥ T0, so the answer at any T ≥ T0 is that mask
// when the score is ≥ T and the empty mask otherwise (the segmenter gates on
// exactly the score it reports). One run then scores every threshold on the
// same predictions. Torch-free.
#ifndef LSMS_TOOLS_EVAL_PRESENT_SWEEP_H_
#define LSMS_TOOLS_EVAL_PRESENT_SWEEP_H_

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "tools/eval/metrics.h"

namespace lsms::eval {

// One evaluated expression; the masks are borrowed and must outlive the call.
struct SweepSample {
  std::string kind;
  float present = 0;                              // the reported target-present probability
  const std::vector<uint8_t>* mask = nullptr;     // predicted at the run's threshold
  const std::vector<uint8_t>* truth = nullptr;
};

struct SweepRow {
  double threshold = 0;
  Summary overall;
  int targets_said_absent = 0;      // expressions with a target whose mask the gate emptied
  int no_targets_said_present = 0;  // no-target expressions the gate let through

  nlohmann::json ToJson() const;
};

// Scores every threshold (each in [run_threshold, 1)) on `samples`, predicted
// with `run_threshold`. InvalidArgument for a threshold the run cannot answer.
absl::StatusOr<std::vector<SweepRow>> SweepPresentThreshold(const std::vector<SweepSample>& samples,
                                                            double run_threshold,
                                                            const std::vector<double>& thresholds);

// The calibration rule of the shipped checkpoint: the lowest threshold of
// `rows` whose no-target accuracy is at least `min_no_target`; when none
// reaches it, the one with the highest no-target accuracy (ties: the lower
// threshold). Rows need not be sorted. InvalidArgument for no rows or no
// no-target expressions (nothing to calibrate on).
absl::StatusOr<double> ChoosePresentThreshold(const std::vector<SweepRow>& rows, double min_no_target);

// A Markdown table, one row per threshold.
std::string SweepMarkdown(const std::vector<SweepRow>& rows);

}  // namespace lsms::eval

#endif  // LSMS_TOOLS_EVAL_PRESENT_SWEEP_H_
