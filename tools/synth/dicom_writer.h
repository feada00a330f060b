// Writes a synthetic CT slice as a DICOM Part-10 file with DCMTK: CT Image
// Storage, signed 16-bit stored values, RescaleSlope/Intercept, PixelSpacing,
// and UIDs/patient attributes that are clearly synthetic.
#ifndef LSMS_TOOLS_SYNTH_DICOM_WRITER_H_
#define LSMS_TOOLS_SYNTH_DICOM_WRITER_H_

#include <string>

#include "absl/status/statusor.h"
#include "model/preprocess.h"

namespace lsms::synth {

struct CtSliceInfo {
  double spacing_mm = 0.75;
  double rescale_slope = 1.0;
  double rescale_intercept = -1024.0;
  std::string patient_id = "SYNTH-0000";  // synthetic, no real person
  std::string series_uid;                  // empty = generated
  int instance_number = 1;
  // Non-zero: every UID is derived from it ("2.25." + a 128-bit number), so
  // the same seed gives byte-identical files. Zero: fresh random UIDs.
  uint64_t uid_seed = 0;
};

// Returns the Part-10 bytes (explicit VR little endian).
absl::StatusOr<std::string> EncodeCtSlice(const Image& hu, const CtSliceInfo& info);

}  // namespace lsms::synth

#endif  // LSMS_TOOLS_SYNTH_DICOM_WRITER_H_
