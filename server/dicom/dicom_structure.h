// A bounded walk over the element structure of Part-10 bytes, before DCMTK
// parses them: DCMTK's parser recurses once per nested sequence and item, so
// a small file with thousands of nested sequences overflows a thread's stack
// (issue 29 row 1: a 281 KiB file with ~8,000 levels crashed the server).
// The walk is iterative and refuses what DCMTK would recurse into too deeply.
//
// It reads the meta group (explicit VR little endian) for the transfer syntax,
// then the dataset as explicit or implicit VR little endian or explicit VR big
// endian; a deflated dataset is left to the caller (its structure is only
// visible after inflation). Sequences and items of defined or undefined
// length, and encapsulated pixel data, are followed; every length is checked
// against the bytes that remain. Plain C++; thread-safe.
#ifndef LSMS_SERVER_DICOM_DICOM_STRUCTURE_H_
#define LSMS_SERVER_DICOM_DICOM_STRUCTURE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lsms {

struct DicomStructure {
  std::string transfer_syntax;  // from the meta header; empty without one
  bool deflated = false;        // 1.2.840.10008.1.2.1.99: not walked
  int max_depth = 0;            // deepest sequence nesting (0 = none)
  int elements = 0;             // elements seen, items and delimiters included
};

// INVALID_ARGUMENT when the nesting exceeds `max_depth` or a length runs past
// the end of the input.
absl::StatusOr<DicomStructure> WalkDicomStructure(absl::string_view bytes, int max_depth);

}  // namespace lsms

#endif  // LSMS_SERVER_DICOM_DICOM_STRUCTURE_H_
