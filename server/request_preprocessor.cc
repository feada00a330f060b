#include "server/request_preprocessor.h"

#include <cmath>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/dicom/dicom_seg.h"

namespace lsms {
namespace {

bool ValidUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (int k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    }
    i += len;
  }
  return true;
}

size_t DTypeBytes(lsms::v1::RawImage::DType d) {
  switch (d) {
    case lsms::v1::RawImage::DTYPE_UINT8: return 1;
    case lsms::v1::RawImage::DTYPE_INT16:
    case lsms::v1::RawImage::DTYPE_UINT16: return 2;
    case lsms::v1::RawImage::DTYPE_INT32:
    case lsms::v1::RawImage::DTYPE_FLOAT32: return 4;
    default: return 0;
  }
}

}  // namespace

absl::StatusOr<DecodedSlice> RequestPreprocessor::DecodeRaw(const lsms::v1::RawImage& raw) const {
  const size_t bytes = DTypeBytes(raw.dtype());
  if (bytes == 0) return absl::InvalidArgumentError("raw image: dtype is unspecified or unknown");
  if (raw.rows() == 0 || raw.columns() == 0 || raw.rows() > static_cast<uint32_t>(limits_.dicom.max_rows) ||
      raw.columns() > static_cast<uint32_t>(limits_.dicom.max_cols)) {
    return absl::InvalidArgumentError(absl::StrCat("raw image: ", raw.columns(), "x", raw.rows(),
                                                   " outside the limits 1..", limits_.dicom.max_cols, "x1..",
                                                   limits_.dicom.max_rows));
  }
  const size_t n = static_cast<size_t>(raw.rows()) * raw.columns();
  if (raw.pixels().size() != n * bytes) {
    return absl::InvalidArgumentError(absl::StrCat("raw image: pixels has ", raw.pixels().size(),
                                                   " bytes, rows x columns x dtype size = ", n * bytes));
  }
  const double slope = raw.rescale_slope() == 0 ? 1.0 : raw.rescale_slope();
  const double intercept = raw.rescale_intercept();
  LSMS_RETURN_IF_ERROR(CheckRescale(slope, intercept, "raw image"));
  DecodedSlice s;
  s.hu.rows = static_cast<int>(raw.rows());
  s.hu.cols = static_cast<int>(raw.columns());
  s.hu.data.resize(n);
  const char* p = raw.pixels().data();
  auto convert = [&](auto tag) {
    using T = decltype(tag);
    for (size_t i = 0; i < n; ++i) {
      T v;
      std::memcpy(&v, p + i * sizeof(T), sizeof(T));
      s.hu.data[i] = static_cast<float>(v * slope + intercept);
    }
  };
  switch (raw.dtype()) {
    case lsms::v1::RawImage::DTYPE_UINT8: convert(uint8_t{}); break;
    case lsms::v1::RawImage::DTYPE_INT16: convert(int16_t{}); break;
    case lsms::v1::RawImage::DTYPE_UINT16: convert(uint16_t{}); break;
    case lsms::v1::RawImage::DTYPE_INT32: convert(int32_t{}); break;
    case lsms::v1::RawImage::DTYPE_FLOAT32: convert(float{}); break;
    default: break;
  }
  for (float v : s.hu.data) {
    if (!std::isfinite(v)) return absl::InvalidArgumentError("raw image: non-finite pixel value");
  }
  LSMS_RETURN_IF_ERROR(CheckPixelSpacing(raw.pixel_spacing().row_mm(), raw.pixel_spacing().column_mm(), "raw image"));
  s.row_spacing_mm = raw.pixel_spacing().row_mm();
  s.col_spacing_mm = raw.pixel_spacing().column_mm();
  if (s.row_spacing_mm == 0 || s.col_spacing_mm == 0) s.row_spacing_mm = s.col_spacing_mm = 0;
  return s;
}

absl::StatusOr<PreparedRequest> RequestPreprocessor::Prepare(const lsms::v1::SegmentRequest& r) const {
  PreparedRequest out;
  RequestContext& ctx = out.context;
  if (r.request_id().size() > limits_.max_request_id_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("request_id longer than ", limits_.max_request_id_bytes, " bytes"));
  }
  ctx.request_id = r.request_id();
  // Proto3 keeps unknown enum numbers: refuse them rather than echo them back.
  if (!lsms::v1::MaskEncoding_IsValid(r.output().mask_encoding())) {
    return absl::InvalidArgumentError(
        absl::StrCat("output.mask_encoding ", r.output().mask_encoding(), " is not a MaskEncoding"));
  }
  if (r.expression().size() > limits_.max_expression_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("expression is ", r.expression().size(),
                                                   " bytes; the limit is ", limits_.max_expression_bytes));
  }
  if (!ValidUtf8(r.expression())) return absl::InvalidArgumentError("expression is not valid UTF-8");
  if (absl::StripAsciiWhitespace(r.expression()).empty()) {
    return absl::InvalidArgumentError("expression is empty");
  }
  ctx.threshold = r.has_threshold() ? r.threshold() : config_.default_threshold;
  if (!(ctx.threshold > 0.0f && ctx.threshold < 1.0f)) {
    return absl::InvalidArgumentError(absl::StrCat("threshold must be in (0, 1), got ", ctx.threshold));
  }
  ctx.output = r.output();
  DecodedSlice slice;
  switch (r.image_case()) {
    case lsms::v1::SegmentRequest::kDicom: {
      LSMS_ASSIGN_OR_RETURN(slice, DecodeDicom(r.dicom(), limits_.dicom));
      ctx.from_dicom = true;
      break;
    }
    case lsms::v1::SegmentRequest::kRaw: {
      LSMS_ASSIGN_OR_RETURN(slice, DecodeRaw(r.raw()));
      break;
    }
    default:
      return absl::InvalidArgumentError("request has no image (set dicom or raw)");
  }
  if (ctx.output.include_dicom_seg() && !ctx.from_dicom) {
    return absl::InvalidArgumentError("include_dicom_seg needs DICOM input");
  }
  if (ctx.output.include_dicom_seg()) {  // before the model runs, not after it
    LSMS_RETURN_IF_ERROR(CheckSegSource({slice.study_instance_uid, slice.series_instance_uid, slice.sop_class_uid,
                                         slice.sop_instance_uid, slice.frame_of_reference_uid}));
  }
  ctx.row_spacing_mm = slice.row_spacing_mm;
  ctx.col_spacing_mm = slice.col_spacing_mm;
  out.input.image = PreprocessHu(slice.hu, config_, &ctx.box);
  out.input.box = ctx.box;
  // Only a model with a liver region of interest reads the slice again.
  if (config_.roi_margin > 0) out.input.hu = std::make_shared<const Image>(std::move(slice.hu));
  if (slice.row_spacing_mm > 0) {
    out.input.mm_per_pixel =
        static_cast<float>(std::sqrt(slice.row_spacing_mm * slice.col_spacing_mm) / ctx.box.scale);
  }
  out.input.tokens = tokenizer_.Encode(r.expression(), config_.max_tokens);
  ctx.tokens = out.input.tokens.tokens;
  if (ctx.output.include_dicom_seg()) ctx.source_dicom = r.dicom();
  return out;
}

}  // namespace lsms
