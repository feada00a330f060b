#include "tools/eval/present_sweep.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace lsms::eval {

nlohmann::json SweepRow::ToJson() const {
  nlohmann::json j = overall.ToJson();
  j["threshold"] = threshold;
  j["peak_threshold"] = peak_threshold;
  j["targets_said_absent"] = targets_said_absent;
  j["no_targets_said_present"] = no_targets_said_present;
  return j;
}

absl::StatusOr<std::vector<SweepRow>> SweepGates(const std::vector<SweepSample>& samples, double run_threshold,
                                                 const std::vector<double>& thresholds, double run_peak,
                                                 const std::vector<double>& peaks) {
  // Compared in float, as the segmenter gates.
  const auto as_gate = [](double t) { return static_cast<float>(t); };
  const std::vector<double> peak_values = peaks.empty() ? std::vector<double>{run_peak} : peaks;
  // A mask already emptied at the run's gate cannot be reopened.
  const auto check = [&](const char* name, const std::vector<double>& values, double run) -> absl::Status {
    for (double v : values) {
      if (!(as_gate(v) >= as_gate(run) && v < 1.0)) {
        return absl::InvalidArgumentError(
            absl::StrFormat("%s threshold %g cannot be swept from a run at %g (need [%g, 1))", name, v, run, run));
      }
    }
    return absl::OkStatus();
  };
  if (auto st = check("present", thresholds, run_threshold); !st.ok()) return st;
  if (auto st = check("peak", peak_values, run_peak); !st.ok()) return st;
  // A sample's score is its mask's or the empty mask's whatever the gates:
  // both are computed once, not once per row.
  std::vector<SampleScore> open_score, closed_score;
  std::vector<bool> has_target;
  for (const auto& s : samples) {
    open_score.push_back(Score(*s.mask, *s.truth));
    closed_score.push_back(Score(std::vector<uint8_t>(s.truth->size(), 0), *s.truth));
    has_target.push_back(std::any_of(s.truth->begin(), s.truth->end(), [](uint8_t v) { return v != 0; }));
  }
  std::vector<SweepRow> rows;
  for (double p : peak_values) {
    for (double t : thresholds) {
      SweepRow row;
      row.threshold = t;
      row.peak_threshold = p;
      MetricAccumulator acc;
      for (size_t i = 0; i < samples.size(); ++i) {
        const bool open = samples[i].present >= as_gate(t) && samples[i].peak >= as_gate(p);
        row.targets_said_absent += has_target[i] && !open;
        row.no_targets_said_present += !has_target[i] && open;
        acc.Add(samples[i].kind, open ? open_score[i] : closed_score[i]);
      }
      row.overall = acc.Overall();
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

absl::StatusOr<GateChoice> ChooseGates(const std::vector<SweepRow>& rows, double min_no_target) {
  if (rows.empty()) return absl::InvalidArgumentError("no sweep rows to choose the gates from");
  if (rows.front().overall.no_target_n == 0) {
    return absl::InvalidArgumentError("no no-target expressions: the gates cannot be calibrated");
  }
  // Lexicographic preference; `reaches` first, so any row that reaches the
  // bar beats every row that does not.
  const auto key = [&](const SweepRow& r) {
    const bool reaches = r.overall.no_target_accuracy >= min_no_target;
    return std::make_tuple(reaches, reaches ? 0.0 : r.overall.no_target_accuracy, r.overall.miou,
                           -r.peak_threshold, -r.threshold);
  };
  const SweepRow* best = &rows.front();
  for (const auto& r : rows) {
    if (key(r) > key(*best)) best = &r;
  }
  return GateChoice{best->threshold, best->peak_threshold};
}

std::string SweepMarkdown(const std::vector<SweepRow>& rows) {
  std::string md =
      "| present threshold | peak threshold | mIoU | P@0.5 | P@0.9 | no-target acc. | targets said absent | "
      "no-targets said present |\n"
      "|---|---|---|---|---|---|---|---|\n";
  for (const auto& r : rows) {
    const auto& p = r.overall.precision;
    absl::StrAppend(&md, absl::StrFormat("| %.2f | %.2f | %.3f | %.3f | %.3f | %.3f | %d | %d |\n", r.threshold,
                                         r.peak_threshold, r.overall.miou, p.count("P@0.5") ? p.at("P@0.5") : 0.0,
                                         p.count("P@0.9") ? p.at("P@0.9") : 0.0, r.overall.no_target_accuracy,
                                         r.targets_said_absent, r.no_targets_said_present));
  }
  return md;
}

}  // namespace lsms::eval
