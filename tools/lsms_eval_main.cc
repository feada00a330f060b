// lsms-eval: evaluates a checkpoint on a manifest split.
//   lsms-eval --checkpoint models/nano/lsms-nano.safetensors
//             --manifest data/synth/manifest.jsonl --split test --out models/nano/eval
// Reports mIoU, mean Dice, oIoU, P@{0.5..0.9}, no-target accuracy, all by
// expression kind; the text ablations (empty expression; an expression taken
// from another image); the text-blind oracle (the union of all lesions of the
// image) per kind; PNG overlays of the worst cases; JSON and Markdown.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "common/flags_usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/overlay.h"
#include "common/png_codec.h"
#include "model/segmenter.h"
#include "tools/eval/calibration.h"
#include "tools/eval/lesion_recall.h"
#include "tools/eval/metrics.h"
#include "tools/eval/present_sweep.h"
#include "tools/eval/selection.h"
#include "tools/eval/selection_probe.h"
#include "tools/train/dataset.h"

ABSL_FLAG(std::string, checkpoint, "models/nano/lsms-nano.safetensors", "Checkpoint to evaluate.");
ABSL_FLAG(std::string, manifest, "data/synth/manifest.jsonl", "JSONL manifest.");
ABSL_FLAG(std::string, split, "test", "Split to evaluate (train, val, test; empty = all).");
ABSL_FLAG(std::string, out, "eval", "Output folder (report.json, report.md, worst/*.png).");
ABSL_FLAG(int, worst, 12, "Overlays of the lowest-IoU samples.");
ABSL_FLAG(int, batch, 8, "Inference batch size.");
ABSL_FLAG(int, threads, 0, "Torch intra-op threads (0 = default).");
ABSL_FLAG(std::string, device, "auto", "auto (CUDA when available), cpu, cuda or cuda:N.");
ABSL_FLAG(std::string, autocast, "none", "Mixed precision on CUDA: none, fp16 or bf16.");
ABSL_FLAG(double, present_threshold, -1,
          "Target-present threshold in (0, 1) overriding the checkpoint's (calibrate on --split val).");
ABSL_FLAG(std::string, present_sweep, "",
          "Comma-separated target-present thresholds to score from this one run (a calibration sweep, "
          "e.g. 0.02,0.1,0.2,0.4); the run itself uses the lowest, so the main table is at that "
          "threshold.");
ABSL_FLAG(double, peak_threshold, -1,
          "Peak threshold in [0, 1) overriding the checkpoint's: an answer whose highest probability is "
          "below it is empty (0 = off).");
ABSL_FLAG(std::string, peak_sweep, "",
          "Comma-separated peak thresholds in [0, 1) swept together with --present_sweep (every pair); "
          "the run itself uses the lowest.");
ABSL_FLAG(double, present_rule_min_no_target, -1,
          "With --present_sweep: of the swept gates whose no-target accuracy reaches this value, choose "
          "the pair with the highest mIoU (none reaches it: the highest no-target accuracy), reported as "
          "the calibrated thresholds (-1 = off).");
ABSL_FLAG(double, candidate_threshold, -1,
          "All-lesions threshold in (0, 1) delimiting the selection head's candidates, overriding the "
          "checkpoint's (calibrate on --split val).");
ABSL_FLAG(std::string, selection_mask, "",
          "product or instance, overriding the checkpoint's composition of the referred mask.");
ABSL_FLAG(bool, flip_averaging, false,
          "Test-time flip averaging (the mirrored input with left/right swapped, averaged; ~2x the answer "
          "pass).");
ABSL_FLAG(bool, absolute_windows, false,
          "Ablation: pass 2 windows absolute HU even when the checkpoint windows relative to the liver "
          "(liver_reference_hu 0).");
ABSL_FLAG(bool, ablations, true,
          "Run the text ablations and the whole-slice ablation (false = the model only, for quick "
          "calibration sweeps on --split val).");
ABSL_FLAG(bool, liver_region, true,
          "With a model that has a liver region of interest: run its second pass (false = whole slices "
          "only, an ablation of the region).");

namespace fs = std::filesystem;
using namespace lsms;

namespace {

struct Run {
  eval::MetricAccumulator acc;
  // By the manifest's "phase" and "phrasing" (rows that have them).
  std::map<std::string, eval::MetricAccumulator> groups;
  std::vector<double> confidence;  // AnswerConfidence, as the server reports it
  std::vector<bool> correct;       // IoU ≥ 0.5
  std::vector<double> iou;
  std::vector<std::vector<uint8_t>> masks;
  std::vector<float> present_score;  // the reported target-present probability, per sample
  std::vector<float> peak;           // the answer map's highest probability, per sample
  size_t in_region = 0;  // predictions made on the liver region (pass 2)
  eval::SelectionAccumulator selection;  // where lesion labels are known
  eval::LesionRecall recall;             // where lesion labels are known
  // The target-present head against the truth: [truth has a target][said present].
  int present[2][2] = {{0, 0}, {0, 0}};
  double seconds = 0;  // wall time of the model calls
};

// Predicts every sample with expression `text_of(i)`; masks at original size.
// `hu[image]` (null = none) lets a two-pass model crop the liver region.
absl::StatusOr<Run> Predict(Segmenter& model, const train::Dataset& ds,
                            const std::vector<std::shared_ptr<const Image>>& hu,
                            const std::function<std::string(size_t)>& text_of, bool keep_masks) {
  Run run;
  const auto& c = model.config();
  const size_t n = ds.samples.size(), b = static_cast<size_t>(std::max(1, absl::GetFlag(FLAGS_batch)));
  for (size_t start = 0; start < n; start += b) {
    const size_t end = std::min(n, start + b);
    std::vector<ModelInput> inputs(end - start);
    std::vector<const ModelInput*> ptrs;
    for (size_t i = start; i < end; ++i) {
      const auto& img = ds.images[ds.samples[i].image];
      inputs[i - start].image = img.input;
      inputs[i - start].mm_per_pixel = img.mm_per_pixel;
      inputs[i - start].box = img.box;
      inputs[i - start].hu = hu[ds.samples[i].image];
      inputs[i - start].tokens = model.tokenizer().Encode(text_of(i), c.max_tokens);
      ptrs.push_back(&inputs[i - start]);
    }
    const absl::Time t0 = absl::Now();
    auto preds = model.Predict(ptrs);
    run.seconds += absl::ToDoubleSeconds(absl::Now() - t0);
    if (!preds.ok()) return preds.status();
    for (size_t i = start; i < end; ++i) {
      const auto& s = ds.samples[i];
      const Prediction& p = (*preds)[i - start];
      Image prob = ToOriginal(p.probability, p.box);
      run.in_region += p.liver_region;
      const bool has_target =
          std::any_of(s.mask_original.begin(), s.mask_original.end(), [](uint8_t v) { return v != 0; });
      ++run.present[has_target][p.target_present >= model.config().present_threshold];
      run.present_score.push_back(p.target_present);
      run.peak.push_back(*std::max_element(p.probability.data.begin(), p.probability.data.end()));
      std::vector<uint8_t> mask(prob.data.size());
      for (size_t k = 0; k < mask.size(); ++k) mask[k] = prob.data[k] >= c.default_threshold;
      auto score = eval::Score(mask, s.mask_original);
      run.acc.Add(s.kind, score);
      if (!s.phase.empty()) run.groups["phase"].Add(s.phase, score);
      if (!s.phrasing.empty()) run.groups["phrasing"].Add(s.phrasing, score);
      double prob_sum = 0;
      uint64_t mask_pixels = 0;
      for (size_t k = 0; k < mask.size(); ++k) {
        if (mask[k]) prob_sum += prob.data[k], ++mask_pixels;
      }
      run.confidence.push_back(AnswerConfidence(prob_sum, mask_pixels, p.target_present));
      run.correct.push_back(score.iou >= 0.5);
      run.iou.push_back(score.iou);
      const auto& labels = ds.images[s.image].labels_original;
      if (!labels.empty()) {
        run.selection.Add(s.kind, eval::Classify(mask, labels, s.targets));
        run.recall.Add(s.kind, mask, labels, s.targets, ds.images[s.image].lesions);
      }
      if (keep_masks) run.masks.push_back(std::move(mask));
    }
    std::cerr << "\r  " << end << "/" << n << std::flush;
  }
  std::cerr << "\n";
  return run;
}

std::string Row(const std::string& name, const eval::Summary& s) {
  return absl::StrFormat("| %s | %d | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %s |", name, s.n, s.miou, s.mdice,
                         s.oiou, s.precision.count("P@0.5") ? s.precision.at("P@0.5") : 0.0,
                         s.precision.count("P@0.7") ? s.precision.at("P@0.7") : 0.0,
                         s.precision.count("P@0.9") ? s.precision.at("P@0.9") : 0.0,
                         s.no_target_n ? absl::StrFormat("%.3f (%d)", s.no_target_accuracy, s.no_target_n) : "–");
}

}  // namespace

int main(int argc, char** argv) {
  lsms::InitFlagsUsage("Evaluates a checkpoint on a manifest split (by kind, phase, phrasing; ablations; calibration).");
  absl::ParseCommandLine(argc, argv);
  Segmenter::Options mo;
  mo.checkpoint_path = absl::GetFlag(FLAGS_checkpoint);
  mo.device = absl::GetFlag(FLAGS_device);
  mo.autocast = absl::GetFlag(FLAGS_autocast);
  mo.num_threads = absl::GetFlag(FLAGS_threads);
  mo.flip_averaging = absl::GetFlag(FLAGS_flip_averaging);
  mo.absolute_windows = absl::GetFlag(FLAGS_absolute_windows);
  if (absl::GetFlag(FLAGS_present_threshold) != -1) {
    mo.calibration.present_threshold = absl::GetFlag(FLAGS_present_threshold);
  }
  if (absl::GetFlag(FLAGS_candidate_threshold) != -1) {
    mo.calibration.candidate_threshold = absl::GetFlag(FLAGS_candidate_threshold);
  }
  if (!absl::GetFlag(FLAGS_selection_mask).empty()) mo.calibration.selection_mask = absl::GetFlag(FLAGS_selection_mask);
  if (absl::GetFlag(FLAGS_peak_threshold) != -1) {
    mo.calibration.peak_threshold = absl::GetFlag(FLAGS_peak_threshold);
  }
  std::vector<double> sweep, peak_sweep;
  const auto parse_list = [](const char* flag, const std::string& text, std::vector<double>* list) {
    for (absl::string_view t : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
      double v;
      if (!absl::SimpleAtod(t, &v)) {
        std::cerr << "lsms-eval: --" << flag << ": '" << t << "' is not a number\n";
        return false;
      }
      list->push_back(v);
    }
    return true;
  };
  if (!parse_list("present_sweep", absl::GetFlag(FLAGS_present_sweep), &sweep) ||
      !parse_list("peak_sweep", absl::GetFlag(FLAGS_peak_sweep), &peak_sweep)) {
    return 1;
  }
  if (!peak_sweep.empty()) {
    std::sort(peak_sweep.begin(), peak_sweep.end());
    if (sweep.empty() || absl::GetFlag(FLAGS_peak_threshold) != -1) {
      std::cerr << "lsms-eval: --peak_sweep needs --present_sweep and excludes --peak_threshold\n";
      return 1;
    }
    if (!(peak_sweep.front() >= 0 && peak_sweep.back() < 1)) {
      std::cerr << "lsms-eval: --peak_sweep thresholds must be in [0, 1)\n";
      return 1;
    }
    mo.calibration.peak_threshold = static_cast<float>(peak_sweep.front());
  }
  if (!sweep.empty()) {
    std::sort(sweep.begin(), sweep.end());
    if (absl::GetFlag(FLAGS_present_threshold) != -1) {
      std::cerr << "lsms-eval: --present_sweep and --present_threshold exclude each other\n";
      return 1;
    }
    if (!(sweep.front() > 0 && sweep.back() < 1)) {
      std::cerr << "lsms-eval: --present_sweep thresholds must be in (0, 1)\n";
      return 1;
    }
    mo.calibration.present_threshold = static_cast<float>(sweep.front());
  }
  const double rule_min_no_target = absl::GetFlag(FLAGS_present_rule_min_no_target);
  if (rule_min_no_target != -1 && (sweep.empty() || !(rule_min_no_target > 0 && rule_min_no_target <= 1))) {
    std::cerr << "lsms-eval: --present_rule_min_no_target needs --present_sweep and a value in (0, 1]\n";
    return 1;
  }
  auto model = Segmenter::Load(mo);
  if (!model.ok()) {
    std::cerr << "lsms-eval: " << model.status() << "\n";
    return 1;
  }
  auto ds = train::LoadDataset({absl::GetFlag(FLAGS_manifest), absl::GetFlag(FLAGS_split), 0, true},
                               (*model)->config());
  if (!ds.ok()) {
    std::cerr << "lsms-eval: " << ds.status() << "\n";
    return 1;
  }
  std::cerr << "lsms-eval: " << ds->samples.size() << " expressions on " << ds->images.size() << " images\n";
  std::vector<std::shared_ptr<const Image>> hu(ds->images.size());
  const bool two_pass = (*model)->config().roi_margin > 0 && absl::GetFlag(FLAGS_liver_region);
  for (size_t i = 0; two_pass && i < hu.size(); ++i) hu[i] = ds->images[i].hu;
  std::cerr << "model:\n";
  auto main_run = Predict(**model, *ds, hu, [&](size_t i) { return ds->samples[i].expression; }, true);
  if (!main_run.ok()) {
    std::cerr << "lsms-eval: prediction failed: " << main_run.status() << "\n";
    return 1;
  }
  std::vector<eval::SweepRow> sweep_rows;
  if (!sweep.empty()) {
    std::vector<eval::SweepSample> samples;
    for (size_t i = 0; i < ds->samples.size(); ++i) {
      samples.push_back({ds->samples[i].kind, main_run->present_score[i], main_run->peak[i], &main_run->masks[i],
                         &ds->samples[i].mask_original});
    }
    auto rows = eval::SweepGates(samples, (*model)->config().present_threshold, sweep,
                                            (*model)->config().peak_threshold, peak_sweep);
    if (!rows.ok()) {
      std::cerr << "lsms-eval: " << rows.status() << "\n";
      return 1;
    }
    sweep_rows = *std::move(rows);
  }
  std::optional<eval::GateChoice> rule_gates;
  if (rule_min_no_target != -1) {
    auto g = eval::ChooseGates(sweep_rows, rule_min_no_target);
    if (!g.ok()) {
      std::cerr << "lsms-eval: " << g.status() << "\n";
      return 1;
    }
    rule_gates = *g;
    std::cout << "calibrated present threshold: " << g->present_threshold << "\n"
              << "calibrated peak threshold: " << g->peak_threshold << "\n";
  }
  const bool ablations = absl::GetFlag(FLAGS_ablations);
  // Ablations not run stay empty; the report leaves their rows out.
  Run empty_run, other_run, whole_run;
  absl::Status ablation_status;
  if (ablations) {
    std::cerr << "ablation, empty expression:\n";
    auto empty = Predict(**model, *ds, hu, [](size_t) { return std::string(); }, false);
    std::cerr << "ablation, another image's expression:\n";
    auto other = Predict(**model, *ds, hu, [&](size_t i) {
      // The first sample of the next image (cyclic), deterministic.
      const int next = (ds->samples[i].image + 1) % static_cast<int>(ds->images.size());
      for (const auto& s : ds->samples) {
        if (s.image == next) return s.expression;
      }
      return ds->samples[i].expression;
    }, false);
    ablation_status.Update(empty.status());
    ablation_status.Update(other.status());
    if (empty.ok()) empty_run = *std::move(empty);
    if (other.ok()) other_run = *std::move(other);
    // The region's own ablation, and its cost: the same expressions on whole slices only.
    if (two_pass) {
      std::cerr << "ablation, whole slice only (no liver region):\n";
      auto whole = Predict(**model, *ds, std::vector<std::shared_ptr<const Image>>(ds->images.size()),
                           [&](size_t i) { return ds->samples[i].expression; }, false);
      ablation_status.Update(whole.status());
      if (whole.ok()) whole_run = *std::move(whole);
    }
  }
  if (!ablation_status.ok()) {
    std::cerr << "lsms-eval: prediction failed: " << ablation_status << "\n";
    return 1;
  }
  const bool whole_ran = ablations && two_pass;
  // The selection head alone, on the views the second pass sees.
  std::map<std::string, eval::SelectionProbeRow> probe;
  if ((*model)->config().selection_head) {
    std::cerr << "selection head: own candidates vs true lesions\n";
    auto views = train::LoadDataset({absl::GetFlag(FLAGS_manifest), absl::GetFlag(FLAGS_split), 0, false,
                                     (*model)->config().roi_margin, 0},
                                    (*model)->config());
    if (!views.ok()) {
      std::cerr << "lsms-eval: " << views.status() << "\n";
      return 1;
    }
    auto rows = eval::ProbeSelection(absl::GetFlag(FLAGS_checkpoint), mo.calibration, *views,
                                     absl::GetFlag(FLAGS_batch));
    if (!rows.ok()) {
      std::cerr << "lsms-eval: selection probe failed: " << rows.status() << "\n";
      return 1;
    }
    probe = *std::move(rows);
  }
  // Text-blind oracle: the union of every lesion of the image.
  eval::MetricAccumulator oracle;
  std::map<std::string, eval::MetricAccumulator> oracle_groups;
  for (const auto& s : ds->samples) {
    const auto& all = ds->images[s.image].all_lesions_original;
    const auto score =
        eval::Score(all.empty() ? std::vector<uint8_t>(s.mask_original.size(), 0) : all, s.mask_original);
    oracle.Add(s.kind, score);
    if (!s.phase.empty()) oracle_groups["phase"].Add(s.phase, score);
    if (!s.phrasing.empty()) oracle_groups["phrasing"].Add(s.phrasing, score);
  }

  const fs::path out = absl::GetFlag(FLAGS_out);
  fs::create_directories(out / "worst");
  nlohmann::json j;
  j["checkpoint"] = absl::GetFlag(FLAGS_checkpoint);
  j["model_version"] = (*model)->provenance().version;
  j["manifest"] = absl::GetFlag(FLAGS_manifest);
  j["split"] = absl::GetFlag(FLAGS_split);
  j["present_threshold"] = (*model)->config().present_threshold;
  j["peak_threshold"] = (*model)->config().peak_threshold;
  j["candidate_threshold"] = (*model)->config().candidate_threshold;
  j["selection_mask"] = (*model)->config().selection_mask;
  j["flip_averaging"] = mo.flip_averaging;
  j["liver_reference_hu"] = (*model)->config().liver_reference_hu;  // 0: absolute windows
  j["liver_region"] = {{"margin", (*model)->config().roi_margin},
                       {"enabled", two_pass},
                       {"predictions_in_region", main_run->in_region}};
  auto dump = [](const eval::MetricAccumulator& a) {
    nlohmann::json r = {{"overall", a.Overall().ToJson()}};
    for (const auto& [k, s] : a.ByKind()) r["by_kind"][k] = s.ToJson();
    return r;
  };
  // Overall, by kind, and by phase / phrasing where the manifest has them.
  auto dump_grouped = [&](const eval::MetricAccumulator& a, std::map<std::string, eval::MetricAccumulator>& groups) {
    nlohmann::json r = dump(a);
    for (const auto& [group, acc] : groups) {
      for (const auto& [k, v] : acc.ByKind()) r["by_" + group][k] = v.ToJson();
    }
    return r;
  };
  j["model"] = dump_grouped(main_run->acc, main_run->groups);
  const eval::CalibrationReport calibration = eval::Calibrate(main_run->confidence, main_run->correct);
  j["model_calibration"] = calibration.ToJson();
  if (ablations) {
    j["ablation_empty_expression"] = dump_grouped(empty_run.acc, empty_run.groups);
    j["ablation_other_image_expression"] = dump(other_run.acc);
  }
  j["oracle_all_lesions"] = dump_grouped(oracle, oracle_groups);
  const double n_samples = static_cast<double>(ds->samples.size());
  j["model_ms_per_expression"] = 1e3 * main_run->seconds / n_samples;
  j["device"] = (*model)->device();
  j["batch"] = absl::GetFlag(FLAGS_batch);
  if (whole_ran) {
    j["ablation_whole_slice_only"] = dump(whole_run.acc);
    j["whole_slice_ms_per_expression"] = 1e3 * whole_run.seconds / n_samples;
  }
  j["model_selection"] = main_run->selection.ToJson();
  j["model_lesion_recall"] = main_run->recall.ToJson();
  for (const auto& [kind, r] : probe) {
    j["selection_probe"][kind.empty() ? "overall" : kind] = {
        {"n", r.n}, {"exact_own_candidates", r.exact_own}, {"exact_true_instances", r.exact_true},
        {"spurious_selected", r.spurious_selected}};
  }
  for (const auto& r : sweep_rows) j["present_sweep"].push_back(r.ToJson());
  if (rule_gates) {
    j["present_rule"] = {{"min_no_target", rule_min_no_target},
                         {"threshold", rule_gates->present_threshold},
                         {"peak_threshold", rule_gates->peak_threshold}};
  }
  const auto& pr = main_run->present;
  j["model_present_head"] = {{"target_said_present", pr[1][1]}, {"target_said_absent", pr[1][0]},
                             {"no_target_said_absent", pr[0][0]}, {"no_target_said_present", pr[0][1]}};
  std::ofstream(out / "report.json") << j.dump(2) << "\n";

  std::ofstream md(out / "report.md");
  md << "# lsms-eval report\n\n"
     << "Checkpoint `" << absl::GetFlag(FLAGS_checkpoint) << "` (version `" << (*model)->provenance().version
     << "`), manifest `" << absl::GetFlag(FLAGS_manifest) << "`, split `" << absl::GetFlag(FLAGS_split) << "`: "
     << ds->samples.size() << " expressions on " << ds->images.size() << " images.\n\n"
     << (two_pass ? absl::StrFormat("Two-pass inference: %d of %d predictions on the liver region of interest "
                                    "(margin %.2f).\n\n",
                                    main_run->in_region, ds->samples.size(), (*model)->config().roi_margin)
                  : std::string("One pass over the whole slice.\n\n"))
     << ((*model)->config().liver_reference_hu > 0
             ? absl::StrFormat("Pass 2 windows relative to the liver (reference %.0f HU).\n\n",
                               (*model)->config().liver_reference_hu)
             : std::string("Absolute HU windows.\n\n"))
     << absl::StrFormat("Decision settings: target-present threshold %.2f, peak threshold %.2f, candidate "
                        "threshold %.2f, selection mask `%s`%s.\n\n",
                        (*model)->config().present_threshold, (*model)->config().peak_threshold,
                        (*model)->config().candidate_threshold,
                        (*model)->config().selection_mask,
                        mo.flip_averaging ? "; test-time flip averaging" : "")
     << "| run | n | mIoU | mDice | oIoU | P@0.5 | P@0.7 | P@0.9 | no-target acc. (n) |\n"
     << "|---|---|---|---|---|---|---|---|---|\n"
     << Row("model", main_run->acc.Overall()) << "\n"
     << (ablations ? Row("ablation: empty expression", empty_run.acc.Overall()) + "\n" +
                         Row("ablation: other image's expression", other_run.acc.Overall()) + "\n"
                   : "")
     << (whole_ran ? Row("ablation: whole slice only (no liver region)", whole_run.acc.Overall()) + "\n" : "")
     << Row("text-blind oracle (all lesions)", oracle.Overall()) << "\n\n"
     << absl::StrFormat("Model time: %.1f ms per expression (batch %d, this machine)", 1e3 * main_run->seconds / n_samples,
                        absl::GetFlag(FLAGS_batch))
     << (whole_ran ? absl::StrFormat("; whole slice only: %.1f ms (two-pass / one-pass = %.2f×)",
                                     1e3 * whole_run.seconds / n_samples, main_run->seconds / whole_run.seconds)
                  : std::string())
     << ".\n\n"
     << "## By expression kind (model vs text-blind oracle)\n\n"
     << "| kind | n | model mIoU | oracle mIoU | model P@0.5 | oracle P@0.5 | empty-expr. mIoU |\n|---|---|---|---|---|---|---|\n";
  auto mk = main_run->acc.ByKind(), ok = oracle.ByKind(), ek = empty_run.acc.ByKind();
  for (const auto& [k, s] : mk) {
    md << absl::StrFormat("| %s | %d | %.3f | %.3f | %.3f | %.3f | %s |\n", k, s.n, s.miou, ok[k].miou,
                          s.precision.at("P@0.5"), ok[k].precision.at("P@0.5"),
                          ablations ? absl::StrFormat("%.3f", ek[k].miou) : "–");
  }
  for (const auto& [group, acc] : main_run->groups) {
    md << "\n## By " << group << "\n\n"
       << eval::GroupMarkdown(group, acc, &oracle_groups[group], ablations ? &empty_run.groups[group] : nullptr);
  }
  md << absl::StrFormat("\n## Confidence calibration\n\nExpected calibration error of the reported confidence "
                        "against IoU ≥ 0.5: **%.3f** (%d answers, 15 bins).\n\n| confidence | n | mean "
                        "confidence | accuracy |\n|---|---|---|---|\n",
                        calibration.ece, calibration.n);
  for (const auto& b : calibration.bins) {
    md << absl::StrFormat("| %.2f–%.2f | %d | %.3f | %.3f |\n", b.lo, b.hi, b.n, b.mean_confidence, b.accuracy);
  }
  md << "\n## Which lesions the model selected\n\n"
     << "A lesion counts as selected when at least half of its pixels are in the mask; shares of each "
        "outcome against the expression's target lesions.\n\n"
     << main_run->selection.ToMarkdown()
     << absl::StrFormat("\nTarget-present head: %d of %d expressions with a target were said to have none "
                        "(the mask is then empty); %d of %d no-target expressions were said to have one "
                        "(threshold %.2f).\n",
                        pr[1][0], pr[1][0] + pr[1][1], pr[0][1], pr[0][0] + pr[0][1],
                        (*model)->config().present_threshold);
  if (!sweep_rows.empty()) {
    md << "\n## No-target gate sweep\n\n"
       << "The same predictions, gated at each pair of thresholds on the reported target-present "
          "probability and on the answer map's peak probability (exact: the run used the lowest of each).\n\n"
       << eval::SweepMarkdown(sweep_rows);
    if (rule_gates) {
      md << absl::StrFormat("\nCalibrated gates: present threshold **%.2f**, peak threshold **%.2f**: of the "
                            "swept pairs with no-target accuracy ≥ %.3f, the one with the highest mIoU (when "
                            "none reaches it: the highest no-target accuracy).\n",
                            rule_gates->present_threshold, rule_gates->peak_threshold, rule_min_no_target);
    }
  }
  md << "\n## Target lesions found, by size and attenuation\n\n"
     << "Every lesion an expression refers to, found when at least half of its pixels are in the mask "
        "(in-slice diameter from the manifest).\n\n"
     << main_run->recall.ToMarkdown();
  if (!probe.empty()) {
    md << "\n## The selection head alone: own candidates vs true lesions\n\n"
       << "Expressions with a target, on the views the second pass sees (ground-truth liver regions), "
          "the target-present gate ignored: the share whose selected lesions are exactly the targets, "
          "with the candidates the model makes itself (components of its all-lesions map) and with the "
          "true lesion instances.\n\n"
       << eval::SelectionProbeMarkdown(probe);
  }
  // Worst cases.
  std::vector<size_t> order(ds->samples.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return main_run->iou[a] < main_run->iou[b]; });
  md << "\n## Worst cases\n\nRed: prediction; green outline: ground truth.\n\n| file | kind | IoU | expression |\n|---|---|---|---|\n";
  for (int w = 0; w < absl::GetFlag(FLAGS_worst) && w < static_cast<int>(order.size()); ++w) {
    const size_t i = order[w];
    const auto& s = ds->samples[i];
    const auto& img = ds->images[s.image];
    OverlayInput ov;
    ov.rows = img.hu->rows;
    ov.cols = img.hu->cols;
    ov.hu = &img.hu->data;
    ov.mask = &main_run->masks[i];
    ov.truth = &s.mask_original;
    ov.lines = {s.expression, absl::StrFormat("IoU %.2f", main_run->iou[i])};
    const std::string name = absl::StrFormat("worst/%02d_%s.png", w, img.id);
    auto png = EncodePng(RenderOverlay(ov));
    if (png.ok()) (void)WriteFile((out / name).string(), *png);
    md << absl::StrFormat("| [%s](%s) | %s | %.3f | %s |\n", name, name, s.kind, main_run->iou[i], s.expression);
  }
  md.close();  // flushed before it is read back
  std::cout << fs::path(out / "report.md").string() << "\n";
  std::ifstream in(out / "report.md");
  std::cout << in.rdbuf();
  return 0;
}
