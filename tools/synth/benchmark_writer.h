// Writes a synthetic referring-lesion benchmark to a folder: images/*.dcm,
// masks/*.png (per-expression targets, lesion label maps, liver masks),
// manifest.jsonl and vocab.txt. Deterministic from the seed.
#ifndef LSMS_TOOLS_SYNTH_BENCHMARK_WRITER_H_
#define LSMS_TOOLS_SYNTH_BENCHMARK_WRITER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "tools/synth/expression_grammar.h"
#include "tools/synth/phantom.h"

namespace lsms::synth {

struct BenchmarkOptions {
  std::string out_dir = "data/synth";
  int images = 600;
  uint64_t seed = 1;
  int expressions_per_image = 6;
  double val_fraction = 0.1;
  double test_fraction = 0.1;
  int size = 512;                // overrides phantom.size
  PhantomOptions phantom;        // domain randomisation and lesion counts
  Phrasing phrasing = Phrasing::kLegacy;
  bool progress = false;
};

// Returns the number of expressions written.
absl::StatusOr<int> WriteBenchmark(const BenchmarkOptions& options);

}  // namespace lsms::synth

#endif  // LSMS_TOOLS_SYNTH_BENCHMARK_WRITER_H_
