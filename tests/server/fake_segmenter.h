// A Segmenter without libtorch for fast, sanitizer-friendly server tests.
//
// Its "checkpoint" is a text file: "fake-model <version>" on the first line,
// then optional "training_command <text>" and "data <text>" lines. Predict()
// is deterministic: the probability of each pixel is its windowed input
// value clamped to [0, 1], target_present is 0.9, or 0.1 when the
// expression holds the token "nothing"; the token "tumor" fails the batch
// (INTERNAL) and "nodule" throws (a model breaking its no-throw promise).
#ifndef LSMS_TESTS_SERVER_FAKE_SEGMENTER_H_
#define LSMS_TESTS_SERVER_FAKE_SEGMENTER_H_

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "model/segmenter.h"

namespace lsms::testing {

// Writes a fake checkpoint and returns its path (in the temp folder).
std::string WriteFakeCheckpoint(const std::string& name, const std::string& version,
                                const std::string& training_command = "", const std::string& data = "");

struct FakeModelOptions {
  int input_size = 64;
  // Time each Predict() call takes (simulated compute).
  absl::Duration compute_time = absl::ZeroDuration();
};

// Loads a fake checkpoint: NOT_FOUND if the file is missing,
// INVALID_ARGUMENT if it is not a fake checkpoint.
absl::StatusOr<std::unique_ptr<Segmenter>> LoadFakeSegmenter(const Segmenter::Options& options,
                                                             const FakeModelOptions& fake = {});

}  // namespace lsms::testing

#endif  // LSMS_TESTS_SERVER_FAKE_SEGMENTER_H_
