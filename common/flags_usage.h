// --help for this project's binaries: abseil lists only the flags defined in
// a file named after the binary (lsms-server would need lsms-server.cc), so
// every binary here printed "No flags matched". InitFlagsUsage makes --help
// and --helpshort list the flags defined in this project's own sources
// (abseil's internal flags stay under --helpfull). Call it before
// absl::ParseCommandLine, instead of absl::SetProgramUsageMessage.
#ifndef LSMS_COMMON_FLAGS_USAGE_H_
#define LSMS_COMMON_FLAGS_USAGE_H_

#include "absl/strings/string_view.h"

namespace lsms {

void InitFlagsUsage(absl::string_view usage);

}  // namespace lsms

#endif  // LSMS_COMMON_FLAGS_USAGE_H_
