// RequestPreprocessor on raw pixels: values a real image cannot have are
// INVALID_ARGUMENT with the problem named (issue 29 row 7), and a valid
// request keeps its spacing.
#include "server/request_preprocessor.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace lsms {
namespace {

class RequestPreprocessorTest : public testing::Test {
 protected:
  void SetUp() override {
    config_ = *ModelConfig::FromPreset("nano");
    config_.input_size = 32;
    config_.roi_margin = 0.12f;  // two-pass: the HU image is kept for pass 2
    auto tok = Tokenizer::FromVocabText(Tokenizer::BuildVocab({"the largest lesion"}));
    ASSERT_TRUE(tok.ok());
    tokenizer_ = *std::move(tok);
    config_.vocab_size = tokenizer_->vocab_size();
  }

  lsms::v1::SegmentRequest Raw(double slope, double intercept, double row_mm, double col_mm) const {
    lsms::v1::SegmentRequest r;
    r.set_expression("the largest lesion");
    auto* raw = r.mutable_raw();
    raw->set_dtype(lsms::v1::RawImage::DTYPE_INT16);
    raw->set_rows(4);
    raw->set_columns(4);
    raw->set_pixels(std::string(4 * 4 * 2, '\1'));  // 257 each
    raw->set_rescale_slope(slope);
    raw->set_rescale_intercept(intercept);
    raw->mutable_pixel_spacing()->set_row_mm(row_mm);
    raw->mutable_pixel_spacing()->set_column_mm(col_mm);
    return r;
  }

  absl::StatusOr<PreparedRequest> Prepare(const lsms::v1::SegmentRequest& r) const {
    return RequestPreprocessor(config_, *tokenizer_, RequestLimits{}).Prepare(r);
  }

  ModelConfig config_;
  std::unique_ptr<Tokenizer> tokenizer_;
};

TEST_F(RequestPreprocessorTest, ValidRawImageKeepsItsSpacing) {
  auto p = Prepare(Raw(1.0, -1024.0, 0.7, 0.8));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_DOUBLE_EQ(p->context.row_spacing_mm, 0.7);
  EXPECT_DOUBLE_EQ(p->context.col_spacing_mm, 0.8);
  ASSERT_TRUE(p->input.hu);
  EXPECT_FLOAT_EQ(p->input.hu->data[0], 257.0f - 1024.0f);
  // Spacing 0 means unknown, not an error.
  auto unknown = Prepare(Raw(1.0, 0.0, 0.0, 0.0));
  ASSERT_TRUE(unknown.ok()) << unknown.status();
  EXPECT_EQ(unknown->context.row_spacing_mm, 0.0);
}

TEST_F(RequestPreprocessorTest, ImpossibleRescaleOrSpacingIsInvalidArgument) {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::nan("");
  const struct {
    double slope, intercept, row, col;
    const char* says;
  } bad[] = {{1e308, 0, 0.7, 0.7, "rescale slope"},   {nan, 0, 0.7, 0.7, "rescale slope"},
             {1, inf, 0.7, 0.7, "rescale intercept"}, {1, -1e300, 0.7, 0.7, "rescale intercept"},
             {1, 0, inf, 0.7, "pixel spacing"},      {1, 0, 0.7, 1e308, "pixel spacing"},
             {1, 0, -0.7, 0.7, "pixel spacing"}};
  for (const auto& b : bad) {
    auto p = Prepare(Raw(b.slope, b.intercept, b.row, b.col));
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument) << b.says << ": " << p.status();
    EXPECT_NE(p.status().message().find(b.says), std::string::npos) << p.status();
  }
}

TEST_F(RequestPreprocessorTest, UnknownMaskEncodingIsInvalidArgument) {
  // Issue 29 row 14: mask_encoding 99 was accepted and echoed back.
  auto r = Raw(1.0, 0.0, 0.7, 0.7);
  r.mutable_output()->set_mask_encoding(static_cast<lsms::v1::MaskEncoding>(99));
  auto p = Prepare(r);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument) << p.status();
  EXPECT_NE(p.status().message().find("mask_encoding 99"), std::string::npos) << p.status();
  r.mutable_output()->set_mask_encoding(lsms::v1::MASK_ENCODING_RLE);
  EXPECT_TRUE(Prepare(r).ok());
}

}  // namespace
}  // namespace lsms
