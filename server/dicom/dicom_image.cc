#include "server/dicom/dicom_image.h"

#include <cmath>
#include <mutex>
#include <new>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "dcmtk/dcmdata/dccodec.h"
#include "dcmtk/dcmdata/dcdict.h"
#include "dcmtk/dcmdata/dcrledrg.h"
#include "dcmtk/dcmdata/dcpixseq.h"
#include "dcmtk/dcmdata/dcpxitem.h"
#include "dcmtk/dcmdata/dctk.h"
#include "dcmtk/dcmimgle/dcmimage.h"
#include "dcmtk/dcmjpeg/djdecode.h"
#include "dcmtk/dcmjpls/djdecode.h"
#include "dcmtk/oflog/oflog.h"
#include "common/status_macros.h"
#include "server/dicom/dicom_io.h"

namespace lsms {
namespace {

std::string GetString(DcmItem* ds, const DcmTagKey& tag) {
  OFString v;
  if (ds->findAndGetOFString(tag, v).good()) return std::string(v.c_str());
  return "";
}

// A value from the file quoted in an error message: at most 32 characters,
// so an attacker's megabyte string is never echoed back or logged.
std::string Quoted(const std::string& v) {
  constexpr size_t kMax = 32;
  return v.size() <= kMax ? v : absl::StrCat(v.substr(0, kMax), "... (", v.size(), " characters)");
}

constexpr double kMaxSlope = 1e4, kMaxIntercept = 1e6, kMaxSpacingMm = 50.0;

// The encapsulated pixel fragments of `ds`; null when PixelData is absent,
// native, or not pixel data at all (a PixelData tag read as a sequence).
DcmPixelSequence* EncapsulatedPixels(DcmDataset* ds) {
  DcmElement* element = nullptr;
  if (ds->findAndGetElement(DCM_PixelData, element).bad() || element == nullptr ||
      element->ident() != EVR_PixelData) {
    return nullptr;
  }
  auto* pixel_data = static_cast<DcmPixelData*>(element);
  E_TransferSyntax xfer = EXS_Unknown;
  const DcmRepresentationParameter* param = nullptr;
  pixel_data->getOriginalRepresentationKey(xfer, param);
  DcmPixelSequence* seq = nullptr;
  if (pixel_data->getEncapsulatedRepresentation(xfer, param, seq).bad()) return nullptr;
  return seq;
}

// A JPEG or JPEG-LS frame's own size (its start-of-frame marker) must be the
// Rows and Columns the dataset declares: DCMTK otherwise decodes a small frame
// into the declared raster (issue 29 row 9: a 1024x256 JPEG with Rows and
// Columns edited to 4096 came back as a 4096x4096 mask). RLE has no frame
// header; other fragments without a start-of-frame are left to the decoder.
absl::Status CheckJpegFrameSize(DcmDataset* ds, Uint16 rows, Uint16 cols) {
  DcmPixelSequence* seq = EncapsulatedPixels(ds);
  if (seq == nullptr) return absl::OkStatus();
  DcmPixelItem* item = nullptr;
  if (seq->card() < 2 || seq->getItem(item, 1).bad() || item == nullptr) return absl::OkStatus();  // item 0: offsets
  Uint8* bytes = nullptr;
  if (item->getUint8Array(bytes).bad() || bytes == nullptr) return absl::OkStatus();
  const size_t n = item->getLength();
  if (n < 4 || bytes[0] != 0xFF || bytes[1] != 0xD8) return absl::OkStatus();  // not a JPEG stream
  // Walk the marker segments up to the first start-of-frame.
  for (size_t i = 2; i + 9 <= n;) {
    if (bytes[i] != 0xFF) return absl::OkStatus();
    const Uint8 marker = bytes[i + 1];
    const size_t length = static_cast<size_t>(bytes[i + 2]) << 8 | bytes[i + 3];
    const bool sof = (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) ||
                     marker == 0xF7;  // SOF0..15 (not DHT, JPG, DAC), SOF55 (JPEG-LS)
    if (sof) {
      const Uint16 height = static_cast<Uint16>(bytes[i + 5] << 8 | bytes[i + 6]);
      const Uint16 width = static_cast<Uint16>(bytes[i + 7] << 8 | bytes[i + 8]);
      if (height != rows || width != cols) {
        return absl::InvalidArgumentError(absl::StrCat("DICOM: the compressed frame is ", width, "x", height,
                                                       ", Rows/Columns say ", cols, "x", rows));
      }
      return absl::OkStatus();
    }
    if (length < 2) return absl::OkStatus();
    i += 2 + length;
  }
  return absl::OkStatus();
}

// DCMTK 3.6.7's DJCodecDecoder::scanJpegDataForBitDepth, which every JPEG
// (1.2.840.10008.1.2.4.50-.70) decode runs over each frame's first fragment,
// walks the marker segments from offset 0 and never advances past a TEM
// marker (FF 01): a fragment whose walk reaches one spins a decode thread
// forever. Found by the dicom_decode fuzz target (4.6 KiB files; the
// regression inputs are tests/fuzz/corpus/dicom_decode/regress-jpeg-tem-*.dcm,
// the second reaching the TEM marker past fill bytes, FF FF).
// This follows the same walk and says whether it would reach FF 01 before a
// start-of-frame or a byte it stops at.
bool DcmtkJpegScanSpins(const Uint8* d, size_t n) {
  size_t at = 0;
  while (at + 4 < n) {
    if (d[at] != 0xFF) return false;
    const Uint8 m = d[at + 1];
    const size_t segment = static_cast<size_t>(d[at + 2]) << 8 | d[at + 3];
    if (m == 0x01) return true;
    const bool sof = m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
    if (sof) return false;
    if (m >= 0xD0 && m <= 0xD9) {
      at += 2;  // RSTn, SOI, EOI
    } else if (m == 0xFF) {
      at += 1;  // a fill byte
    } else if (m == 0xC4 || m == 0xC8 || m == 0xCC || m >= 0xDA) {
      at += segment + 2;  // DHT, JPG, DAC, SOS..EXP, APPn, JPGn, COM
    } else if (m > 0x02 && m <= 0xBF) {
      at += 2;  // reserved
    } else {
      return false;  // the walk stops
    }
  }
  return false;
}

absl::Status CheckJpegFragments(DcmDataset* ds, const DcmXfer& xfer) {
  const std::string uid = xfer.getXferID();
  constexpr absl::string_view kJpegPrefix = "1.2.840.10008.1.2.4.";
  int process = 0;
  if (!absl::StartsWith(uid, kJpegPrefix) || !absl::SimpleAtoi(uid.substr(kJpegPrefix.size()), &process) ||
      process < 50 || process > 70) {
    return absl::OkStatus();
  }
  DcmPixelSequence* seq = EncapsulatedPixels(ds);
  if (seq == nullptr) return absl::OkStatus();
  for (unsigned long i = 1; i < seq->card(); ++i) {  // item 0: the offset table
    DcmPixelItem* item = nullptr;
    Uint8* bytes = nullptr;
    if (seq->getItem(item, i).bad() || item == nullptr || item->getUint8Array(bytes).bad() || bytes == nullptr) continue;
    if (DcmtkJpegScanSpins(bytes, item->getLength())) {
      return absl::InvalidArgumentError(absl::StrCat("DICOM: malformed JPEG stream in fragment ", i,
                                                     " (a TEM marker where a segment was expected)"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<DecodedSlice> DecodeOrThrow(absl::string_view bytes, const DicomLimits& limits) {
  if (bytes.empty()) return absl::InvalidArgumentError("DICOM: empty input");
  if (bytes.size() > limits.max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("DICOM: ", bytes.size(), " bytes exceeds the limit of ", limits.max_bytes));
  }
  auto ff = ReadPart10(bytes, limits.max_bytes);
  if (!ff.ok()) return ff.status();
  DcmDataset* ds = (*ff)->getDataset();
  DecodedSlice out;
  // A transfer syntax the meta header names but DCMTK does not know is
  // refused, not guessed at.
  const std::string declared = GetString((*ff)->getMetaInfo(), DCM_TransferSyntaxUID);
  if (!declared.empty() && DcmXfer(declared.c_str()).getXfer() == EXS_Unknown) {
    return absl::UnimplementedError(absl::StrCat("DICOM: unknown transfer syntax '", Quoted(declared), "'"));
  }
  E_TransferSyntax xfer = ds->getOriginalXfer();
  DcmXfer xf(xfer);
  out.transfer_syntax = xf.getXferID();
  if (!ds->tagExists(DCM_PixelData)) return absl::InvalidArgumentError("DICOM: no PixelData");
  // The model reads Hounsfield units: another modality's pixel values mean
  // something else. A file without Modality is taken as CT.
  const std::string modality = GetString(ds, DCM_Modality);
  if (!modality.empty() && modality != "CT") {
    return absl::InvalidArgumentError(
        absl::StrCat("DICOM: Modality '", Quoted(modality), "': only CT slices can be segmented"));
  }
  Uint16 rows = 0, cols = 0, bits_alloc = 0, samples = 1;
  if (ds->findAndGetUint16(DCM_Rows, rows).bad() || ds->findAndGetUint16(DCM_Columns, cols).bad()) {
    return absl::InvalidArgumentError("DICOM: Rows/Columns missing");
  }
  if (rows == 0 || cols == 0 || rows > limits.max_rows || cols > limits.max_cols) {
    return absl::InvalidArgumentError(absl::StrCat("DICOM: image ", cols, "x", rows,
                                                   " outside the limits 1..", limits.max_cols, "x1..",
                                                   limits.max_rows));
  }
  if (ds->findAndGetUint16(DCM_BitsAllocated, bits_alloc).bad() ||
      (bits_alloc != 8 && bits_alloc != 16 && bits_alloc != 32)) {
    return absl::InvalidArgumentError(absl::StrCat("DICOM: unsupported BitsAllocated ", bits_alloc));
  }
  ds->findAndGetUint16(DCM_SamplesPerPixel, samples);
  out.photometric = GetString(ds, DCM_PhotometricInterpretation);
  if (samples != 1 || (out.photometric != "MONOCHROME1" && out.photometric != "MONOCHROME2")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "DICOM: only monochrome images are supported (PhotometricInterpretation '",
        Quoted(out.photometric), "', SamplesPerPixel ", samples, ")"));
  }
  Sint32 frames = 1;
  if (ds->findAndGetSint32(DCM_NumberOfFrames, frames).good() && frames != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("DICOM: ", frames, " frames; send one single-frame slice per request"));
  }
  if (xf.isEncapsulated()) {
    if (!DcmCodecList::canChangeCoding(xfer, EXS_LittleEndianExplicit)) {
      return absl::UnimplementedError(absl::StrCat("DICOM: transfer syntax ", xf.getXferName(),
                                                   " (", xf.getXferID(), ") is not supported"));
    }
    LSMS_RETURN_IF_ERROR(CheckJpegFrameSize(ds, rows, cols));
    LSMS_RETURN_IF_ERROR(CheckJpegFragments(ds, xf));
  } else {
    DcmElement* px = nullptr;
    if (ds->findAndGetElement(DCM_PixelData, px).bad() || px == nullptr) {
      return absl::InvalidArgumentError("DICOM: PixelData unreadable");
    }
    const size_t need = static_cast<size_t>(rows) * cols * (bits_alloc / 8);
    if (px->getLength() < need) {
      return absl::InvalidArgumentError(absl::StrCat("DICOM: PixelData has ", px->getLength(),
                                                     " bytes, Rows x Columns x BitsAllocated need ",
                                                     need));
    }
  }
  // Absent rescale tags mean identity (MR, secondary capture, some CT
  // exports); DCMTK leaves 0 in the output when a tag is absent.
  double slope = 1.0, intercept = 0.0;
  if (ds->tagExists(DCM_RescaleSlope) && ds->findAndGetFloat64(DCM_RescaleSlope, slope).bad()) {
    return absl::InvalidArgumentError("DICOM: RescaleSlope is not a number");
  }
  if (ds->tagExists(DCM_RescaleIntercept) && ds->findAndGetFloat64(DCM_RescaleIntercept, intercept).bad()) {
    return absl::InvalidArgumentError("DICOM: RescaleIntercept is not a number");
  }
  LSMS_RETURN_IF_ERROR(CheckRescale(slope, intercept, "DICOM"));
  Float64 ps = 0;
  if (ds->findAndGetFloat64(DCM_PixelSpacing, ps, 0).good()) {
    Float64 col = ps;
    if (ds->findAndGetFloat64(DCM_PixelSpacing, col, 1).bad()) col = ps;
    LSMS_RETURN_IF_ERROR(CheckPixelSpacing(ps, col, "DICOM"));
    // 0 is a placeholder some exports write: spacing unknown, as when absent.
    if (ps != 0.0 && col != 0.0) {
      out.row_spacing_mm = ps;
      out.col_spacing_mm = col;
    }
  }
  out.sop_class_uid = GetString(ds, DCM_SOPClassUID);
  out.sop_instance_uid = GetString(ds, DCM_SOPInstanceUID);
  out.series_instance_uid = GetString(ds, DCM_SeriesInstanceUID);
  out.study_instance_uid = GetString(ds, DCM_StudyInstanceUID);
  out.frame_of_reference_uid = GetString(ds, DCM_FrameOfReferenceUID);

  // Stored values only; slope/intercept applied in double below (DCMTK's own
  // modality transform truncates to integers).
  DicomImage img(ds, xfer, CIF_IgnoreModalityTransformation, 0, 1);
  if (img.getStatus() != EIS_Normal) {
    return absl::InvalidArgumentError(
        absl::StrCat("DICOM: cannot decode pixels (", DicomImage::getString(img.getStatus()), ")"));
  }
  const DiPixel* px = img.getInterData();
  if (px == nullptr || px->getData() == nullptr || px->getCount() < static_cast<unsigned long>(rows) * cols) {
    return absl::InvalidArgumentError("DICOM: decoded pixel data is incomplete");
  }
  out.hu.rows = rows;
  out.hu.cols = cols;
  out.hu.data.resize(static_cast<size_t>(rows) * cols);
  const size_t n = out.hu.data.size();
  auto convert = [&](const auto* src) {
    for (size_t i = 0; i < n; ++i) out.hu.data[i] = static_cast<float>(src[i] * slope + intercept);
  };
  switch (px->getRepresentation()) {
    case EPR_Uint8: convert(static_cast<const Uint8*>(px->getData())); break;
    case EPR_Sint8: convert(static_cast<const Sint8*>(px->getData())); break;
    case EPR_Uint16: convert(static_cast<const Uint16*>(px->getData())); break;
    case EPR_Sint16: convert(static_cast<const Sint16*>(px->getData())); break;
    case EPR_Uint32: convert(static_cast<const Uint32*>(px->getData())); break;
    case EPR_Sint32: convert(static_cast<const Sint32*>(px->getData())); break;
  }
  return out;
}

}  // namespace

absl::Status InitDicomCodecs() {
  static std::once_flag once;
  std::call_once(once, [] {
    OFLog::configure(OFLogger::ERROR_LOG_LEVEL);
    DcmRLEDecoderRegistration::registerCodecs();
    DJDecoderRegistration::registerCodecs();
    DJLSDecoderRegistration::registerCodecs();
  });
  if (!dcmDataDict.isDictionaryLoaded()) {
    return absl::FailedPreconditionError(
        "DCMTK data dictionary not loaded (install libdcmtk17 or set DCMDICTPATH)");
  }
  return absl::OkStatus();
}

absl::Status CheckRescale(double slope, double intercept, absl::string_view what) {
  if (!std::isfinite(slope) || slope == 0.0 || std::abs(slope) > kMaxSlope) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": rescale slope ", slope, " is outside ±(0, ", kMaxSlope, "]"));
  }
  if (!std::isfinite(intercept) || std::abs(intercept) > kMaxIntercept) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": rescale intercept ", intercept, " is outside ±", kMaxIntercept));
  }
  return absl::OkStatus();
}

absl::Status CheckPixelSpacing(double row_mm, double col_mm, absl::string_view what) {
  if (row_mm == 0.0 && col_mm == 0.0) return absl::OkStatus();
  for (double v : {row_mm, col_mm}) {
    if (!std::isfinite(v) || v < 0 || v > kMaxSpacingMm) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": pixel spacing ", v, " mm is outside (0, ", kMaxSpacingMm, "]"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<DecodedSlice> DecodeDicom(absl::string_view bytes, const DicomLimits& limits) {
  try {
    return DecodeOrThrow(bytes, limits);
  } catch (const std::bad_alloc&) {
    return absl::InvalidArgumentError("DICOM: image too large to decode");
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("DICOM: decoder failure: ", e.what()));
  }
}

}  // namespace lsms
