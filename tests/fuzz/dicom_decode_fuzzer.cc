// libFuzzer target: DICOM Part-10 decoding with the server's limits (DCMTK
// parsing, the nesting-depth walk, inflation caps, pixel decoding, rescale
// and spacing checks). Any input must give a slice or an error status.
#include <cstddef>
#include <cstdint>

#include "server/dicom/dicom_image.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (!lsms::InitDicomCodecs().ok()) __builtin_trap();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lsms::DicomLimits limits;
  limits.max_rows = limits.max_cols = 1024;  // keep single runs fast
  limits.max_bytes = 4 << 20;
  auto slice = lsms::DecodeDicom(absl::string_view(reinterpret_cast<const char*>(data), size), limits);
  if (slice.ok() && (slice->hu.rows <= 0 || slice->hu.cols <= 0 ||
                     slice->hu.data.size() != static_cast<size_t>(slice->hu.rows) * slice->hu.cols)) {
    __builtin_trap();
  }
  return 0;
}
