// Writes a small untrained nano checkpoint (64 px) for server tests.
#ifndef LSMS_TESTS_MODEL_TEST_CHECKPOINT_H_
#define LSMS_TESTS_MODEL_TEST_CHECKPOINT_H_

#include <string>

namespace lsms::testing {

// Returns the path of a fresh checkpoint file in the temp folder.
std::string WriteTestCheckpoint(const std::string& name);

}  // namespace lsms::testing

#endif  // LSMS_TESTS_MODEL_TEST_CHECKPOINT_H_
