// Process-wide runtime tuning for every binary that runs the model.
//
// Measured on the 2-core CI machine: with glibc malloc defaults, libtorch CPU
// inference of a small conv net ran ~5x slower (≈200 vs ≈40 ms/image) because
// every large activation buffer was mmap'ed and unmapped again (page faults on
// each forward pass). Disabling mmap for large blocks and raising the trim
// threshold keeps freed buffers in the heap for reuse. See
// tools/runtime_bench.cc (scripts/bench-runtime) for the measurement.
//
// Set LSMS_DEFAULT_MALLOC=1 to skip the tuning (for benchmarks).
#include <malloc.h>

#include <cstdlib>

namespace {

struct FastRuntime {
  FastRuntime() {
    const char* skip = std::getenv("LSMS_DEFAULT_MALLOC");
    if (skip != nullptr && skip[0] == '1') return;
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    mallopt(M_TOP_PAD, 64 << 20);
  }
};

const FastRuntime kFastRuntime;

}  // namespace
