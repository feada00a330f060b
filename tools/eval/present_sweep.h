// Calibration sweep of the no-target gates from one evaluation run: the
// target-present threshold T (on the present head's score) and the peak
// threshold P (on the referred map's highest probability). A prediction made
// with gates T0, P0 is the ungated mask wherever its scores pass them, so the
// answer at any T ≥ T0, P ≥ P0 is that mask when present ≥ T and peak ≥ P and
// the empty mask otherwise (the segmenter gates on exactly the scores it
// reports). One run then scores every pair on the same predictions.
// Torch-free.
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
  float peak = 1;                                 // the answer map's highest probability
  const std::vector<uint8_t>* mask = nullptr;     // predicted at the run's threshold
  const std::vector<uint8_t>* truth = nullptr;
};

struct SweepRow {
  double threshold = 0;       // target-present threshold
  double peak_threshold = 0;  // peak threshold (0: off)
  Summary overall;
  int targets_said_absent = 0;      // expressions with a target whose mask the gate emptied
  int no_targets_said_present = 0;  // no-target expressions the gate let through

  nlohmann::json ToJson() const;
};

// Scores every pair of a present threshold (each in [run_threshold, 1)) and a
// peak threshold (each in [run_peak, 1); empty: run_peak alone) on `samples`,
// predicted with those run gates; rows ordered by peak, then present
// threshold. InvalidArgument for a threshold the run cannot answer.
absl::StatusOr<std::vector<SweepRow>> SweepGates(const std::vector<SweepSample>& samples, double run_threshold,
                                                 const std::vector<double>& thresholds, double run_peak = 0,
                                                 const std::vector<double>& peaks = {});

struct GateChoice {
  double present_threshold = 0;
  double peak_threshold = 0;
};

// The calibration rule of the shipped checkpoint: of the rows whose no-target
// accuracy is at least `min_no_target`, the one with the highest mIoU; when
// none reaches it, the one with the highest no-target accuracy (then the
// highest mIoU). Remaining ties: the lower peak, then the lower present
// threshold. Rows need not be sorted. InvalidArgument for no rows or no
// no-target expressions (nothing to calibrate on).
absl::StatusOr<GateChoice> ChooseGates(const std::vector<SweepRow>& rows, double min_no_target);

// A Markdown table, one row per threshold.
std::string SweepMarkdown(const std::vector<SweepRow>& rows);

}  // namespace lsms::eval

#endif  // LSMS_TOOLS_EVAL_PRESENT_SWEEP_H_
