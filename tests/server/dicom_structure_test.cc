// The structure walk that bounds sequence nesting before DCMTK parses
// (issue 29 row 1: ~8,000 nested sequences overflowed the parser's stack).
#include "server/dicom/dicom_structure.h"

#include <gtest/gtest.h>

#include "server/dicom/dicom_image.h"
#include "server/dicom/dicom_io.h"
#include "tools/synth/dicom_writer.h"
#include "tools/synth/phantom.h"

namespace lsms {
namespace {

std::string Sample() {
  synth::PhantomOptions o;
  o.size = 64;
  synth::Phantom p = synth::GeneratePhantom(4, o);
  synth::CtSliceInfo info;
  info.spacing_mm = 0.7;
  return *synth::EncodeCtSlice(p.hu, info);
}

std::string Le16(uint16_t v) { return std::string{static_cast<char>(v & 0xFF), static_cast<char>(v >> 8)}; }
std::string Le32(uint32_t v) { return Le16(static_cast<uint16_t>(v & 0xFFFF)) + Le16(static_cast<uint16_t>(v >> 16)); }

// `depth` nested (0008,1115) sequences of undefined length, one item each,
// in explicit VR little endian, closed by their delimiters.
std::string Nested(int depth) {
  std::string open, close;
  for (int i = 0; i < depth; ++i) {
    open += Le16(0x0008) + Le16(0x1115) + "SQ" + Le16(0) + Le32(0xFFFFFFFF);  // sequence
    open += Le16(0xFFFE) + Le16(0xE000) + Le32(0xFFFFFFFF);                   // item
    close += Le16(0xFFFE) + Le16(0xE00D) + Le32(0);                           // item end
    close += Le16(0xFFFE) + Le16(0xE0DD) + Le32(0);                           // sequence end
  }
  return open + close;
}

// The sample with `inserted` placed just before its PixelData element.
std::string WithBeforePixelData(const std::string& inserted) {
  std::string bytes = Sample();
  const std::string pixel_tag = Le16(0x7FE0) + Le16(0x0010);
  const size_t at = bytes.rfind(pixel_tag);
  EXPECT_NE(at, std::string::npos);
  return bytes.insert(at, inserted);
}

TEST(DicomStructureTest, ThousandsOfNestedSequencesAreRefusedBeforeParsing) {
  const std::string hostile = WithBeforePixelData(Nested(8000));
  auto walk = WalkDicomStructure(hostile, kMaxSequenceDepth);
  EXPECT_EQ(walk.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(walk.status().message().find("nested deeper than 32"), std::string::npos) << walk.status();
  ASSERT_TRUE(InitDicomCodecs().ok());
  auto decoded = DecodeDicom(hostile);  // no crash: a clear error
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument) << decoded.status();
}

TEST(DicomStructureTest, NestingWithinTheBoundIsWalkedAndDecodes) {
  const std::string ok = WithBeforePixelData(Nested(kMaxSequenceDepth));
  auto walk = WalkDicomStructure(ok, kMaxSequenceDepth);
  ASSERT_TRUE(walk.ok()) << walk.status();
  EXPECT_EQ(walk->max_depth, kMaxSequenceDepth);
  EXPECT_EQ(walk->transfer_syntax, "1.2.840.10008.1.2.1");
  ASSERT_TRUE(InitDicomCodecs().ok());
  auto decoded = DecodeDicom(ok);
  EXPECT_TRUE(decoded.ok()) << decoded.status();
  // One level more is refused.
  EXPECT_FALSE(WalkDicomStructure(WithBeforePixelData(Nested(kMaxSequenceDepth + 1)), kMaxSequenceDepth).ok());
}

TEST(DicomStructureTest, LengthsPastTheEndAreMalformed) {
  const std::string sample = Sample();
  auto plain = WalkDicomStructure(sample, kMaxSequenceDepth);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(plain->max_depth, 0);
  EXPECT_GT(plain->elements, 20);
  // A defined-length sequence claiming more bytes than remain.
  const std::string lying = Le16(0x0008) + Le16(0x1115) + "SQ" + Le16(0) + Le32(0x7FFFFFF0);
  auto walk = WalkDicomStructure(WithBeforePixelData(lying), kMaxSequenceDepth);
  EXPECT_EQ(walk.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(walk.status().message().find("longer than the input"), std::string::npos) << walk.status();
  // Cut inside the pixel data.
  EXPECT_FALSE(WalkDicomStructure(sample.substr(0, sample.size() - 100), kMaxSequenceDepth).ok());
}

}  // namespace
}  // namespace lsms
