// DICOM Segmentation (binary SEG, one frame) for a mask on a source slice,
// built with DCMTK's dcmseg following PS3.3 and what viewers need: Patient/
// Study/Frame of Reference taken over from the source, Pixel Measures, Plane
// Orientation/Position, Derivation Image referencing the source instance,
// Dimension Organization, and a top-level ReferencedSeriesSequence (OHIF).
// A single frame is not affected by DCMTK 3.6.7's multi-frame bit-packing
// bug (fixed upstream in 3.6.9).
#ifndef LSMS_SERVER_DICOM_DICOM_SEG_H_
#define LSMS_SERVER_DICOM_DICOM_SEG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lsms {

// `source_dicom`: the Part-10 bytes of the slice; `mask`: rows×cols {0,1}.
// Returns the Part-10 bytes of the SEG (explicit VR little endian).
// A SEG references its source by these UIDs: OK when all are present, else
// INVALID_ARGUMENT naming the absent ones (the request preprocessor checks
// before the model runs; MakeDicomSeg checks again).
struct SegSourceUids {
  std::string study, series, sop_class, sop_instance, frame_of_reference;
};
absl::Status CheckSegSource(const SegSourceUids& uids);

absl::StatusOr<std::string> MakeDicomSeg(absl::string_view source_dicom, const std::vector<uint8_t>& mask,
                                         int rows, int cols, const std::string& model_version);

}  // namespace lsms

#endif  // LSMS_SERVER_DICOM_DICOM_SEG_H_
