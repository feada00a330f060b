// Writes an lsms-ood set: images/*.dcm (CT, signed 16-bit pixels, its own
// DICOM encoding), masks/*.png and manifest.jsonl in the schema lsms-eval
// reads, every row split "test", generator "lsms-ood" (lsms-train refuses
// such rows), phase, region and phrasing "ood".
#ifndef LSMS_TOOLS_OOD_OOD_WRITER_H_
#define LSMS_TOOLS_OOD_OOD_WRITER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/ood/ood_phantom.h"

namespace lsms::ood {

struct OodSetOptions {
  std::string out_dir = "data/ood";
  int slices_per_phase = 50;
  std::vector<OodPhase> phases = {OodPhase::kUnenhanced, OodPhase::kArterial, OodPhase::kPortalVenous,
                                  OodPhase::kDelayed};
  uint64_t seed = 7001;
  int expressions_per_slice = 6;
  int size = 512;
  double no_liver_chance = 0.1;
};

// Returns the number of expressions written.
absl::StatusOr<int> WriteOodSet(const OodSetOptions& options);

// One slice as DICOM Part-10 bytes (exposed for tests).
absl::StatusOr<std::string> EncodeOodDicom(const OodSlice& slice, uint64_t uid_seed);

}  // namespace lsms::ood

#endif  // LSMS_TOOLS_OOD_OOD_WRITER_H_
