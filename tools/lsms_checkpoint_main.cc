// lsms-checkpoint: shows a checkpoint's config and provenance, and converts it
// (fp16 weights for shipping, an extra provenance line).
//   lsms-checkpoint --in runs/x/best.safetensors                      (show)
//   lsms-checkpoint --in runs/x/best.safetensors --out m.safetensors --fp16 --version nano-1 --note "..."
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "common/flags_usage.h"
#include "model/checkpoint.h"

ABSL_FLAG(std::string, in, "", "Input checkpoint.");
ABSL_FLAG(std::string, out, "", "Output checkpoint (empty: only show).");
ABSL_FLAG(bool, fp16, false, "Store weights as IEEE half (about half the size).");
ABSL_FLAG(std::string, version, "", "Set provenance.version.");
ABSL_FLAG(std::string, note, "", "Append a line to the provenance's training runs (e.g. how it was shipped).");
ABSL_FLAG(double, present_threshold, -1,
          "In (0, 1): set the config's target-present threshold (calibrated on a validation split).");
ABSL_FLAG(double, candidate_threshold, -1,
          "In (0, 1): set the all-lesions threshold that delimits the selection head's candidates.");
ABSL_FLAG(double, peak_threshold, -1,
          "In [0, 1): set the referred map's peak below which the answer is empty (0 = off).");
ABSL_FLAG(std::string, selection_mask, "",
          "product or instance: how the referred mask is made from the selected candidates.");

int main(int argc, char** argv) {
  lsms::InitFlagsUsage("Shows a checkpoint's config and provenance, and converts it (fp16, calibration, notes).");
  absl::ParseCommandLine(argc, argv);
  auto ckpt = lsms::LoadCheckpoint(absl::GetFlag(FLAGS_in));
  if (!ckpt.ok()) {
    std::cerr << "lsms-checkpoint: " << ckpt.status() << "\n";
    return 1;
  }
  auto& info = ckpt->info;
  if (!absl::GetFlag(FLAGS_version).empty()) info.provenance.version = absl::GetFlag(FLAGS_version);
  if (!absl::GetFlag(FLAGS_note).empty()) info.provenance.runs.push_back(absl::GetFlag(FLAGS_note));
  // Decision settings calibrated on a validation split (-1 / empty: keep).
  lsms::Calibration cal;
  if (absl::GetFlag(FLAGS_present_threshold) != -1) cal.present_threshold = absl::GetFlag(FLAGS_present_threshold);
  if (absl::GetFlag(FLAGS_candidate_threshold) != -1) {
    cal.candidate_threshold = absl::GetFlag(FLAGS_candidate_threshold);
  }
  if (absl::GetFlag(FLAGS_peak_threshold) != -1) cal.peak_threshold = absl::GetFlag(FLAGS_peak_threshold);
  if (!absl::GetFlag(FLAGS_selection_mask).empty()) cal.selection_mask = absl::GetFlag(FLAGS_selection_mask);
  for (lsms::ModelConfig* c : {&info.config, &ckpt->net->config}) {
    if (auto st = lsms::ApplyCalibration(cal, c); !st.ok()) {
      std::cerr << "lsms-checkpoint: " << st.message() << "\n";
      return 1;
    }
  }
  std::cout << "config: " << info.config.ToJson() << "\nprovenance: " << info.provenance.ToJson() << "\n";
  if (absl::GetFlag(FLAGS_out).empty()) return 0;
  auto st = lsms::SaveCheckpoint(absl::GetFlag(FLAGS_out), *ckpt->net, info,
                                 absl::GetFlag(FLAGS_fp16) ? lsms::WeightPrecision::kF16 : lsms::WeightPrecision::kF32);
  if (!st.ok()) {
    std::cerr << "lsms-checkpoint: " << st << "\n";
    return 1;
  }
  std::cout << "wrote " << absl::GetFlag(FLAGS_out) << "\n";
  return 0;
}
