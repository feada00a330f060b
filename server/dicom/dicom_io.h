// Part-10 DICOM to and from memory with DCMTK (OFCondition → absl::Status).
#ifndef LSMS_SERVER_DICOM_DICOM_IO_H_
#define LSMS_SERVER_DICOM_DICOM_IO_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

class DcmFileFormat;

namespace lsms {

// Sequences nested deeper than this are refused before DCMTK parses (its
// parser recurses per level; real objects nest a handful deep).
inline constexpr int kMaxSequenceDepth = 32;

// Parses Part-10 bytes with a bounded read: no element may claim more than
// the input holds, no sequence nests deeper than kMaxSequenceDepth and a
// deflated dataset inflates to at most `max_inflated_bytes` (checked by
// WalkDicomStructure first). INVALID_ARGUMENT names the reason.
absl::StatusOr<std::unique_ptr<DcmFileFormat>> ReadPart10(absl::string_view bytes,
                                                          size_t max_inflated_bytes = size_t{64} << 20);

// Validates the meta header and serialises as explicit VR little endian.
absl::StatusOr<std::string> WritePart10(DcmFileFormat& file);

}  // namespace lsms

#endif  // LSMS_SERVER_DICOM_DICOM_IO_H_
