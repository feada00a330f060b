// lsms-synth: generates the synthetic referring-lesion benchmark.
//   lsms-synth --out data/synth --images 800 --seed 1
// Writes images/*.dcm, masks/*.png, manifest.jsonl and vocab.txt.
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "common/flags_usage.h"
#include "tools/synth/benchmark_writer.h"
#include "tools/synth/expression_grammar.h"

ABSL_FLAG(std::string, out, "data/synth", "Output folder.");
ABSL_FLAG(int, images, 600, "Number of slices.");
ABSL_FLAG(uint64_t, seed, 1, "Seed; the same seed gives the same benchmark.");
ABSL_FLAG(int, expressions_per_image, 6, "Referring expressions per slice (at most).");
ABSL_FLAG(double, val_fraction, 0.1, "Share of slices in the validation split.");
ABSL_FLAG(double, test_fraction, 0.1, "Share of slices in the test split.");
ABSL_FLAG(int, size, 512, "Slice size in pixels.");
ABSL_FLAG(bool, randomize_domain, false,
          "Domain randomisation: contrast phases, noise, blur, spacing 0.5-1.0 mm, body and liver shape, "
          "fatty liver, slice level, other organs' lesions, slices without liver. Off: the legacy benchmark.");
ABSL_FLAG(std::vector<std::string>, phases, {},
          "With --randomize_domain: contrast phases to draw from (unenhanced, arterial, portal_venous, delayed); "
          "empty = all four.");
ABSL_FLAG(std::string, phrasing, "legacy",
          "Expression grammar: legacy (the benchmark's), seen (extended grammar without held-out words and "
          "templates: training data), held_out (every expression uses held-out phrasing), mixed (each "
          "expression seen or held out with equal chance: evaluation sets).");
ABSL_FLAG(double, no_liver_fraction, 0.08, "With --randomize_domain: share of chest and pelvis slices (no liver).");

int main(int argc, char** argv) {
  lsms::InitFlagsUsage("Generates the synthetic referring-lesion CT benchmark.");
  absl::ParseCommandLine(argc, argv);
  lsms::synth::BenchmarkOptions o;
  o.out_dir = absl::GetFlag(FLAGS_out);
  o.images = absl::GetFlag(FLAGS_images);
  o.seed = absl::GetFlag(FLAGS_seed);
  o.expressions_per_image = absl::GetFlag(FLAGS_expressions_per_image);
  o.val_fraction = absl::GetFlag(FLAGS_val_fraction);
  o.test_fraction = absl::GetFlag(FLAGS_test_fraction);
  o.size = absl::GetFlag(FLAGS_size);
  o.phantom.randomize_domain = absl::GetFlag(FLAGS_randomize_domain);
  o.phantom.no_liver_fraction = absl::GetFlag(FLAGS_no_liver_fraction);
  auto phrasing = lsms::synth::ParsePhrasing(absl::GetFlag(FLAGS_phrasing));
  if (!phrasing.ok()) {
    std::cerr << "lsms-synth: --phrasing: " << phrasing.status().message() << "\n";
    return 2;
  }
  o.phrasing = *phrasing;
  for (const std::string& name : absl::GetFlag(FLAGS_phases)) {
    auto phase = lsms::synth::ParsePhase(name);
    if (!phase.ok()) {
      std::cerr << "lsms-synth: --phases: " << phase.status().message() << "\n";
      return 2;
    }
    o.phantom.phases.push_back(*phase);
  }
  o.progress = true;
  auto n = lsms::synth::WriteBenchmark(o);
  if (!n.ok()) {
    std::cerr << "lsms-synth: " << n.status() << "\n";
    return 1;
  }
  return 0;
}
