// A bounded walk over the element structure of Part-10 bytes, before DCMTK
// parses them: DCMTK's parser recurses once per nested sequence and item, so
// a small file with thousands of nested sequences overflows a thread's stack
// (issue 29 row 1: a 281 KiB file with ~8,000 levels crashed the server).
// The walk is iterative and refuses what DCMTK would recurse into too deeply.
//
// It reads the meta group (explicit VR little endian) for the transfer syntax,
// then the dataset as explicit or implicit VR little endian or explicit VR big
// endian; a deflated dataset is inflated first, up to a bound (issue 29 row
// 3: 1.1 MiB once inflated to +770 MiB). Sequences and items of defined or
// undefined length, and encapsulated pixel data, are followed; every length
// is checked against the bytes that remain. Plain C++ and zlib; thread-safe.
#ifndef LSMS_SERVER_DICOM_DICOM_STRUCTURE_H_
#define LSMS_SERVER_DICOM_DICOM_STRUCTURE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lsms {

struct DicomStructure {
  std::string transfer_syntax;  // from the meta header; empty without one
  bool deflated = false;        // 1.2.840.10008.1.2.1.99: walked after inflation
  size_t inflated_bytes = 0;    // of a deflated dataset
  int max_depth = 0;            // deepest sequence nesting (0 = none)
  int elements = 0;             // elements seen, items and delimiters included
};

// INVALID_ARGUMENT when the nesting exceeds `max_depth`, a length runs past
// the end of the input, or a deflated dataset inflates past `max_inflated_bytes`.
absl::StatusOr<DicomStructure> WalkDicomStructure(absl::string_view bytes, int max_depth,
                                                  size_t max_inflated_bytes = size_t{64} << 20);

}  // namespace lsms

#endif  // LSMS_SERVER_DICOM_DICOM_STRUCTURE_H_
