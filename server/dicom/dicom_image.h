// Decoding of one DICOM CT slice (Part-10 bytes) into Hounsfield units, with
// DCMTK. Validation happens before any pixel is decoded, so no input can make
// DCMTK allocate without bound or crash the process.
//
// Errors: INVALID_ARGUMENT for malformed or out-of-limit input (the message
// names the problem), UNIMPLEMENTED for transfer syntaxes this build cannot
// decode (JPEG 2000, HTJ2K), INTERNAL for unexpected DCMTK failures.
// Thread-safe: DecodeDicom may run concurrently once InitDicomCodecs() ran.
#ifndef LSMS_SERVER_DICOM_DICOM_IMAGE_H_
#define LSMS_SERVER_DICOM_DICOM_IMAGE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "model/preprocess.h"

namespace lsms {

struct DicomLimits {
  size_t max_bytes = 64u << 20;  // whole Part-10 file
  int max_rows = 4096;
  int max_cols = 4096;
};

struct DecodedSlice {
  Image hu;                      // rows × cols Hounsfield units
  double row_spacing_mm = 0.0;   // 0 = unknown
  double col_spacing_mm = 0.0;
  std::string transfer_syntax;   // UID
  std::string photometric;       // MONOCHROME1 / MONOCHROME2
  // Identifiers needed to reference the slice from a DICOM SEG. Kept in memory
  // only; never logged.
  std::string sop_class_uid, sop_instance_uid, series_instance_uid, study_instance_uid;
  std::string frame_of_reference_uid;
};

// Registers DCMTK's RLE, JPEG and JPEG-LS decoders and checks that the data
// dictionary is loaded. Call once at start-up (idempotent).
absl::Status InitDicomCodecs();

absl::StatusOr<DecodedSlice> DecodeDicom(absl::string_view bytes, const DicomLimits& limits = {});

// The value ranges a real image has, checked for DICOM and raw input alike
// (`what` names the source in the message): a finite, non-zero rescale slope
// within ±1e4 and a finite intercept within ±1e6 HU (every HU value then stays
// finite in float); a pixel spacing that is 0 (unknown) or finite in (0, 50] mm.
absl::Status CheckRescale(double slope, double intercept, absl::string_view what);
absl::Status CheckPixelSpacing(double row_mm, double col_mm, absl::string_view what);

}  // namespace lsms

#endif  // LSMS_SERVER_DICOM_DICOM_IMAGE_H_
