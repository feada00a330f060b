#include "server/postprocess.h"

#include <algorithm>
#include <cmath>

#include "common/png_codec.h"
#include "common/status_macros.h"
#include "server/dicom/dicom_seg.h"

namespace lsms {
namespace {

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

absl::Status EncodeInto(const std::vector<uint8_t>& values, uint8_t on_value, int w, int h,
                        lsms::v1::MaskEncoding enc, bool binary, lsms::v1::Mask* out) {
  out->set_width(static_cast<uint32_t>(w));
  out->set_height(static_cast<uint32_t>(h));
  if (enc == lsms::v1::MASK_ENCODING_UNSPECIFIED) enc = lsms::v1::MASK_ENCODING_RAW;
  if (enc == lsms::v1::MASK_ENCODING_RLE && !binary) enc = lsms::v1::MASK_ENCODING_RAW;
  out->set_encoding(enc);
  switch (enc) {
    case lsms::v1::MASK_ENCODING_PNG: {
      PngImage png{w, h, 1, values};
      if (binary) {
        for (auto& v : png.pixels) v = v ? on_value : 0;
      }
      LSMS_ASSIGN_OR_RETURN(std::string bytes, EncodePng(png));
      out->set_data(std::move(bytes));
      return absl::OkStatus();
    }
    case lsms::v1::MASK_ENCODING_RLE:
      out->set_data(EncodeRle(values));
      return absl::OkStatus();
    default:
      out->set_data(std::string(values.begin(), values.end()));
      return absl::OkStatus();
  }
}

}  // namespace

std::string EncodeRle(const std::vector<uint8_t>& mask) {
  std::string out;
  uint8_t current = 0;
  uint32_t run = 0;
  for (uint8_t v : mask) {
    uint8_t b = v ? 1 : 0;
    if (b != current) {
      PutU32(&out, run);
      current = b;
      run = 0;
    }
    ++run;
  }
  PutU32(&out, run);
  return out;
}

std::vector<uint8_t> DecodeRle(const std::string& rle, size_t size) {
  std::vector<uint8_t> out;
  out.reserve(size);
  uint8_t value = 0;
  for (size_t i = 0; i + 4 <= rle.size(); i += 4) {
    uint32_t run = 0;
    for (int k = 0; k < 4; ++k) run |= static_cast<uint32_t>(static_cast<uint8_t>(rle[i + k])) << (8 * k);
    out.insert(out.end(), std::min<size_t>(run, size - out.size()), value);
    value ^= 1;
  }
  return out;
}

absl::Status Postprocess(const Prediction& p, const RequestContext& ctx, const std::string& model_version,
                         lsms::v1::SegmentResponse* r) {
  Image prob = ToOriginal(p.probability, p.box);
  const int w = prob.cols, h = prob.rows;
  std::vector<uint8_t> mask(prob.data.size());
  uint64_t count = 0;
  double sum = 0;
  uint32_t x0 = w, y0 = h, x1 = 0, y1 = 0;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const size_t i = static_cast<size_t>(y) * w + x;
      if (prob.data[i] >= ctx.threshold) {
        mask[i] = 1;
        ++count;
        sum += prob.data[i];
        x0 = std::min<uint32_t>(x0, x);
        y0 = std::min<uint32_t>(y0, y);
        x1 = std::max<uint32_t>(x1, x);
        y1 = std::max<uint32_t>(y1, y);
      }
    }
  }
  r->set_request_id(ctx.request_id);
  r->mutable_status()->set_code(0);
  r->set_threshold(ctx.threshold);
  r->set_pixel_count(count);
  r->set_confidence(AnswerConfidence(sum, count, p.target_present));
  r->set_target_present(p.target_present);
  auto* box = r->mutable_bounding_box();
  if (count) {
    box->set_x_min(x0);
    box->set_y_min(y0);
    box->set_x_max(x1);
    box->set_y_max(y1);
  }
  if (ctx.row_spacing_mm > 0 && ctx.col_spacing_mm > 0) {
    r->set_area_mm2(static_cast<double>(count) * ctx.row_spacing_mm * ctx.col_spacing_mm);
  }
  LSMS_RETURN_IF_ERROR(EncodeInto(mask, 255, w, h, ctx.output.mask_encoding(), true, r->mutable_mask()));
  if (ctx.output.include_probability_map()) {
    std::vector<uint8_t> q(prob.data.size());
    for (size_t i = 0; i < q.size(); ++i) {
      q[i] = static_cast<uint8_t>(std::lround(std::clamp(prob.data[i], 0.0f, 1.0f) * 255.0f));
    }
    LSMS_RETURN_IF_ERROR(
        EncodeInto(q, 0, w, h, ctx.output.mask_encoding(), false, r->mutable_probability_map()));
  }
  if (ctx.output.include_dicom_seg()) {
    LSMS_ASSIGN_OR_RETURN(std::string seg, MakeDicomSeg(ctx.source_dicom, mask, h, w, model_version));
    r->set_dicom_seg(std::move(seg));
  }
  if (ctx.output.include_token_relevance()) {
    for (size_t k = 0; k < ctx.tokens.size() && k < p.token_relevance.size(); ++k) {
      const std::string& t = ctx.tokens[k];
      if (t == "[CLS]" || t == "[SEP]" || t == "[PAD]") continue;
      auto* tr = r->add_token_relevance();
      tr->set_token(t);
      tr->set_relevance(p.token_relevance[k]);
    }
  }
  return absl::OkStatus();
}

}  // namespace lsms
