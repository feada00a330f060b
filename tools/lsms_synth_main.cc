// lsms-synth: generates the synthetic referring-lesion benchmark.
//   lsms-synth --out data/synth --images 800 --seed 1
// Writes images/*.dcm, masks/*.png, manifest.jsonl and vocab.txt.
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "tools/synth/benchmark_writer.h"

ABSL_FLAG(std::string, out, "data/synth", "Output folder.");
ABSL_FLAG(int, images, 600, "Number of slices.");
ABSL_FLAG(uint64_t, seed, 1, "Seed; the same seed gives the same benchmark.");
ABSL_FLAG(int, expressions_per_image, 6, "Referring expressions per slice (at most).");
ABSL_FLAG(double, val_fraction, 0.1, "Share of slices in the validation split.");
ABSL_FLAG(double, test_fraction, 0.1, "Share of slices in the test split.");
ABSL_FLAG(int, size, 512, "Slice size in pixels.");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Generates the synthetic referring-lesion CT benchmark.");
  absl::ParseCommandLine(argc, argv);
  lsms::synth::BenchmarkOptions o;
  o.out_dir = absl::GetFlag(FLAGS_out);
  o.images = absl::GetFlag(FLAGS_images);
  o.seed = absl::GetFlag(FLAGS_seed);
  o.expressions_per_image = absl::GetFlag(FLAGS_expressions_per_image);
  o.val_fraction = absl::GetFlag(FLAGS_val_fraction);
  o.test_fraction = absl::GetFlag(FLAGS_test_fraction);
  o.size = absl::GetFlag(FLAGS_size);
  o.progress = true;
  auto n = lsms::synth::WriteBenchmark(o);
  if (!n.ok()) {
    std::cerr << "lsms-synth: " << n.status() << "\n";
    return 1;
  }
  return 0;
}
