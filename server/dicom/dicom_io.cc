#include "server/dicom/dicom_io.h"

#include "absl/strings/str_cat.h"
#include "server/dicom/dicom_structure.h"
#include "dcmtk/dcmdata/dcistrmb.h"
#include "dcmtk/dcmdata/dcostrmb.h"
#include "dcmtk/dcmdata/dctk.h"

namespace lsms {

absl::StatusOr<std::unique_ptr<DcmFileFormat>> ReadPart10(absl::string_view bytes, size_t max_inflated_bytes) {
  // DCMTK recurses per nesting level and inflates without bound: check both
  // before it parses.
  auto structure = WalkDicomStructure(bytes, kMaxSequenceDepth, max_inflated_bytes);
  if (!structure.ok()) return structure.status();
  DcmInputBufferStream is;
  is.setBuffer(bytes.data(), static_cast<offile_off_t>(bytes.size()));
  is.setEos();
  auto ff = std::make_unique<DcmFileFormat>();
  ff->transferInit();
  OFCondition c = ff->read(is, EXS_Unknown, EGL_noChange, static_cast<Uint32>(bytes.size()));
  ff->transferEnd();
  if (c.bad()) return absl::InvalidArgumentError(absl::StrCat("DICOM: not a readable Part-10 file (", c.text(), ")"));
  return ff;
}

absl::StatusOr<std::string> WritePart10(DcmFileFormat& file) {
  OFCondition c = file.validateMetaInfo(EXS_LittleEndianExplicit);
  if (c.bad()) return absl::InternalError(absl::StrCat("DICOM meta header: ", c.text()));
  const Uint32 len = file.calcElementLength(EXS_LittleEndianExplicit, EET_ExplicitLength);
  std::string buf(len + 4096, '\0');
  DcmOutputBufferStream os(buf.data(), buf.size());
  file.transferInit();
  c = file.write(os, EXS_LittleEndianExplicit, EET_ExplicitLength, nullptr);
  file.transferEnd();
  if (c.bad()) return absl::InternalError(absl::StrCat("DICOM write: ", c.text()));
  void* data = nullptr;
  offile_off_t n = 0;
  os.flushBuffer(data, n);
  return std::string(static_cast<const char*>(data), static_cast<size_t>(n));
}

}  // namespace lsms
