// Writes a small untrained nano checkpoint (64 px) for server tests.
#ifndef LSMS_TESTS_MODEL_TEST_CHECKPOINT_H_
#define LSMS_TESTS_MODEL_TEST_CHECKPOINT_H_

#include <string>

namespace lsms::testing {

// Returns the path of a fresh checkpoint file in the temp folder; `seed`
// picks the weights, `version` names it.
std::string WriteTestCheckpoint(const std::string& name, const std::string& version = "test-checkpoint",
                                int seed = 1);

}  // namespace lsms::testing

#endif  // LSMS_TESTS_MODEL_TEST_CHECKPOINT_H_
