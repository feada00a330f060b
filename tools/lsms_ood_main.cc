// lsms-ood: writes the independent out-of-distribution test set (tools/ood/).
//   lsms-ood --out data/ood --slices_per_phase 50
// The same anatomy is rendered in every contrast phase; no training run may
// read the set (lsms-train refuses rows with generator "lsms-ood").
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "common/flags_usage.h"
#include "tools/ood/ood_writer.h"

ABSL_FLAG(std::string, out, "data/ood", "Output folder.");
ABSL_FLAG(int, slices_per_phase, 50, "Slices per contrast phase (unenhanced, arterial, portal_venous, delayed).");
ABSL_FLAG(uint64_t, seed, 7001, "Seed; the same seed gives the same set.");
ABSL_FLAG(int, expressions_per_slice, 6, "Referring expressions per slice (at most).");
ABSL_FLAG(int, size, 512, "Slice size in pixels.");
ABSL_FLAG(double, no_liver_chance, 0.1, "Chance of a slice above or below the liver (no target).");

int main(int argc, char** argv) {
  lsms::InitFlagsUsage("Writes the independent out-of-distribution referring-lesion test set.");
  absl::ParseCommandLine(argc, argv);
  lsms::ood::OodSetOptions o;
  o.out_dir = absl::GetFlag(FLAGS_out);
  o.slices_per_phase = absl::GetFlag(FLAGS_slices_per_phase);
  o.seed = absl::GetFlag(FLAGS_seed);
  o.expressions_per_slice = absl::GetFlag(FLAGS_expressions_per_slice);
  o.size = absl::GetFlag(FLAGS_size);
  o.no_liver_chance = absl::GetFlag(FLAGS_no_liver_chance);
  auto n = lsms::ood::WriteOodSet(o);
  if (!n.ok()) {
    std::cerr << "lsms-ood: " << n.status() << "\n";
    return 1;
  }
  std::cerr << "lsms-ood: " << *n << " expressions in " << o.out_dir << "\n";
  return 0;
}
