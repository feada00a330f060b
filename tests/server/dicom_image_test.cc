#include "server/dicom/dicom_image.h"

#include <cstdlib>
#include <functional>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "common/png_codec.h"
#include "dcmtk/dcmdata/dcostrmb.h"
#include "dcmtk/dcmdata/dcpixseq.h"
#include "dcmtk/dcmdata/dcpxitem.h"
#include "dcmtk/dcmdata/dctk.h"
#include "server/dicom/dicom_io.h"
#include "server/dicom/dicom_seg.h"
#include "tools/synth/dicom_writer.h"
#include "tools/synth/phantom.h"

namespace lsms {
namespace {

std::string SampleDicom() {
  synth::PhantomOptions o;
  o.size = 96;
  synth::Phantom p = synth::GeneratePhantom(3, o);
  synth::CtSliceInfo info;
  info.spacing_mm = 0.7;
  return *synth::EncodeCtSlice(p.hu, info);
}

// `file` serialised in transfer syntax `xfer` (meta header included; the
// dataset is not re-encoded: an encapsulated one keeps its fragments).
std::string WriteIn(DcmFileFormat& file, E_TransferSyntax xfer) {
  EXPECT_TRUE(file.validateMetaInfo(xfer).good());
  const Uint32 len = file.calcElementLength(xfer, EET_ExplicitLength);
  std::string buf(len + 4096, '\0');
  DcmOutputBufferStream os(buf.data(), buf.size());
  file.transferInit();
  EXPECT_TRUE(file.write(os, xfer, EET_ExplicitLength, nullptr).good());
  file.transferEnd();
  void* data = nullptr;
  offile_off_t n = 0;
  os.flushBuffer(data, n);
  return std::string(static_cast<const char*>(data), static_cast<size_t>(n));
}

class DicomImageTest : public testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(InitDicomCodecs().ok()); }
};

TEST_F(DicomImageTest, RejectsNonDicomWithInvalidArgument) {
  auto r = DecodeDicom("this is not a DICOM file at all, just text............");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeDicom("").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(DicomImageTest, RejectsTruncatedFile) {
  std::string d = SampleDicom();
  auto r = DecodeDicom(absl::string_view(d).substr(0, d.size() - 2000));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
}

TEST_F(DicomImageTest, EnforcesSizeLimits) {
  DicomLimits limits;
  limits.max_rows = 64;
  auto r = DecodeDicom(SampleDicom(), limits);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("limits"), std::string::npos);
}

TEST_F(DicomImageTest, CompressedTransferSyntaxesDecodeIdentically) {
  const auto dir = std::filesystem::temp_directory_path() / ("lsms_dcm_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string raw = (dir / "raw.dcm").string();
  ASSERT_TRUE(WriteFile(raw, SampleDicom()).ok());
  auto reference = DecodeDicom(*ReadFile(raw));
  ASSERT_TRUE(reference.ok()) << reference.status();
  // dcmtk's command-line encoders (package dcmtk), all lossless.
  const std::vector<std::pair<std::string, std::string>> variants = {
      {"rle", "dcmcrle"},         {"jpegls", "dcmcjpls"},    {"jpegll", "dcmcjpeg --encode-lossless-sv1"},
      {"deflate", "dcmconv +td"}, {"implicit", "dcmconv +ti"}, {"bigendian", "dcmconv +tb"}};
  for (const auto& [name, tool] : variants) {
    const std::string out = (dir / (name + ".dcm")).string();
    ASSERT_EQ(std::system((tool + " " + raw + " " + out).c_str()), 0) << tool;
    auto slice = DecodeDicom(*ReadFile(out));
    ASSERT_TRUE(slice.ok()) << name << ": " << slice.status();
    EXPECT_NE(slice->transfer_syntax, reference->transfer_syntax) << name;
    EXPECT_EQ(slice->hu.data, reference->hu.data) << name;
  }
  std::filesystem::remove_all(dir);
}

TEST_F(DicomImageTest, Jpeg2000IsUnimplementedNotACrash) {
  // An encapsulated JPEG 2000 file (the codestream is junk: it must never be
  // decoded, because DCMTK 3.6.7 on Debian has no JPEG 2000 codec).
  auto ff = ReadPart10(SampleDicom());
  ASSERT_TRUE(ff.ok());
  DcmDataset* ds = (*ff)->getDataset();
  auto* seq = new DcmPixelSequence(DCM_PixelSequenceTag);
  seq->insert(new DcmPixelItem(DCM_PixelItemTag));  // empty basic offset table
  auto* frag = new DcmPixelItem(DCM_PixelItemTag);
  std::vector<Uint8> junk(256, 0x42);
  frag->putUint8Array(junk.data(), static_cast<unsigned long>(junk.size()));
  seq->insert(frag);
  auto* px = new DcmPixelData(DCM_PixelData);
  px->putOriginalRepresentation(EXS_JPEG2000LosslessOnly, nullptr, seq);
  ASSERT_TRUE(ds->insert(px, /*replaceOld=*/true).good());
  DcmFileFormat out(ds);
  ASSERT_TRUE(out.chooseRepresentation(EXS_JPEG2000LosslessOnly, nullptr).good());
  auto r = DecodeDicom(WriteIn(out, EXS_JPEG2000LosslessOnly));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnimplemented) << r.status();
  EXPECT_NE(r.status().message().find("1.2.840.10008.1.2.4.90"), std::string::npos) << r.status();
}

// The sample with its dataset changed by `edit` (DCMTK writes the file back).
std::string Edited(const std::function<void(DcmDataset*)>& edit) {
  const std::string sample = SampleDicom();  // outlives the parsed dataset
  auto ff = ReadPart10(sample);
  EXPECT_TRUE(ff.ok());
  edit((*ff)->getDataset());
  auto bytes = WritePart10(**ff);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return *bytes;
}

TEST_F(DicomImageTest, AbsentRescaleTagsMeanIdentity) {
  // Issue 29 row 8: DCMTK reads an absent RescaleSlope as 0; such files (MR,
  // secondary capture, some CT exports) were refused.
  auto reference = DecodeDicom(SampleDicom());
  ASSERT_TRUE(reference.ok());
  auto r = DecodeDicom(Edited([](DcmDataset* ds) {
    delete ds->remove(DCM_RescaleSlope);
    delete ds->remove(DCM_RescaleIntercept);
  }));
  ASSERT_TRUE(r.ok()) << r.status();
  // Stored values without the sample's intercept.
  double intercept = 0;
  const std::string sample = SampleDicom();
  auto ff = ReadPart10(sample);
  ASSERT_TRUE(ff.ok());
  (*ff)->getDataset()->findAndGetFloat64(DCM_RescaleIntercept, intercept);
  ASSERT_EQ(r->hu.data.size(), reference->hu.data.size());
  for (size_t i = 0; i < r->hu.data.size(); i += 101) {
    EXPECT_FLOAT_EQ(r->hu.data[i], static_cast<float>(reference->hu.data[i] - intercept)) << i;
  }
}

TEST_F(DicomImageTest, NonFiniteOrAbsurdRescaleAndSpacingAreInvalidArguments) {
  // Issue 29 row 7: these used to decode to NaN or infinite HU, or to a
  // different mask.
  const std::pair<DcmTagKey, const char*> bad[] = {
      {DCM_RescaleSlope, "1e308"},   {DCM_RescaleSlope, "NaN"},        {DCM_RescaleSlope, "0"},
      {DCM_RescaleIntercept, "inf"}, {DCM_RescaleIntercept, "-1e300"}, {DCM_PixelSpacing, "1e308\\1e308"},
      {DCM_PixelSpacing, "-0.7\\0.7"}};
  for (const auto& edit : bad) {
    const auto& tag = edit.first;
    const auto& value = edit.second;  // named copies: lambdas cannot capture structured bindings in C++17
    auto r = DecodeDicom(Edited([&](DcmDataset* ds) { ds->putAndInsertString(tag, value); }));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << value << ": " << r.status();
  }
  // Legitimate values still decode; a 0 spacing is a placeholder (unknown).
  auto ok = DecodeDicom(Edited([](DcmDataset* ds) {
    ds->putAndInsertString(DCM_RescaleSlope, "0.5");
    ds->putAndInsertString(DCM_PixelSpacing, "0.9\\0.8");
  }));
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_DOUBLE_EQ(ok->row_spacing_mm, 0.9);
  EXPECT_DOUBLE_EQ(ok->col_spacing_mm, 0.8);
  auto zero = DecodeDicom(Edited([](DcmDataset* ds) { ds->putAndInsertString(DCM_PixelSpacing, "0\\0"); }));
  ASSERT_TRUE(zero.ok()) << zero.status();
  EXPECT_EQ(zero->row_spacing_mm, 0.0);
}

TEST_F(DicomImageTest, ErrorMessagesDoNotEchoLongAttackerText) {
  // Issue 29 row 12: a 1 MiB PhotometricInterpretation came back whole in the status.
  const std::string huge(1 << 20, 'X');
  auto r = DecodeDicom(Edited([&](DcmDataset* ds) {
    ds->putAndInsertString(DCM_PhotometricInterpretation, huge.c_str(), /*replaceOld=*/true);
  }));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_LT(r.status().message().size(), 200u) << r.status().message().substr(0, 300);
}

TEST_F(DicomImageTest, ADeflateBombIsRefusedBeforeItInflates) {
  // Issue 29 row 3: a small deflated file inflated to hundreds of MiB. Here
  // 48 MiB of zeros deflate to ~50 KiB; the limit is 16 MiB.
  auto ff = ReadPart10(SampleDicom());
  ASSERT_TRUE(ff.ok());
  std::vector<Uint8> zeros(48u << 20, 0);
  ASSERT_TRUE((*ff)->getDataset()->putAndInsertUint8Array(DcmTag(0x0009, 0x1010, EVR_OB), zeros.data(),
                                                          static_cast<unsigned long>(zeros.size())).good());
  ASSERT_TRUE((*ff)->chooseRepresentation(EXS_DeflatedLittleEndianExplicit, nullptr).good());
  const std::string bomb = WriteIn(**ff, EXS_DeflatedLittleEndianExplicit);
  ASSERT_LT(bomb.size(), 1u << 20);
  DicomLimits limits;
  limits.max_bytes = 16u << 20;
  auto r = DecodeDicom(bomb, limits);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  EXPECT_NE(r.status().message().find("inflates past"), std::string::npos) << r.status();
}

TEST_F(DicomImageTest, OtherModalitiesAreRefusedWithTheReason) {
  for (const char* modality : {"MR", "US", "OT"}) {
    auto r = DecodeDicom(Edited([&](DcmDataset* ds) { ds->putAndInsertString(DCM_Modality, modality); }));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << modality;
    EXPECT_NE(r.status().message().find(std::string("Modality '") + modality + "'"), std::string::npos)
        << r.status();
  }
  EXPECT_TRUE(DecodeDicom(Edited([](DcmDataset* ds) { delete ds->remove(DCM_Modality); })).ok());
}

TEST_F(DicomImageTest, RowsAndColumnsThatDisagreeWithTheJpegFrameAreInvalid) {
  // Issue 29 row 9: a JPEG whose Rows/Columns were edited upward decoded OK
  // into the larger raster.
  const auto dir = std::filesystem::temp_directory_path() / ("lsms_jpeg_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string raw = (dir / "raw.dcm").string(), jpeg = (dir / "jpeg.dcm").string(),
                    jpls = (dir / "jpls.dcm").string();
  ASSERT_TRUE(WriteFile(raw, SampleDicom()).ok());
  ASSERT_EQ(std::system(("dcmcjpeg --encode-lossless-sv1 " + raw + " " + jpeg).c_str()), 0);
  ASSERT_EQ(std::system(("dcmcjpls " + raw + " " + jpls).c_str()), 0);
  for (const std::string& path : {jpeg, jpls}) {
    const std::string original = *ReadFile(path);
    ASSERT_TRUE(DecodeDicom(original).ok()) << path;
    auto ff = ReadPart10(original);
    ASSERT_TRUE(ff.ok());
    ASSERT_TRUE((*ff)->getDataset()->putAndInsertUint16(DCM_Rows, 192).good());
    ASSERT_TRUE((*ff)->getDataset()->putAndInsertUint16(DCM_Columns, 192).good());
    // Written back in its own (encapsulated) transfer syntax.
    auto r = DecodeDicom(WriteIn(**ff, (*ff)->getDataset()->getOriginalXfer()));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << path << ": " << r.status();
    EXPECT_NE(r.status().message().find("Rows/Columns say 192x192"), std::string::npos) << r.status();
  }
  std::filesystem::remove_all(dir);
}

TEST_F(DicomImageTest, ASegOfASourceWithoutItsReferencesIsInvalidArgumentNamingThem) {
  // Issue 29 row 13: include_dicom_seg on a minimal valid CT answered INTERNAL.
  const std::vector<uint8_t> mask(96 * 96, 1);
  ASSERT_TRUE(MakeDicomSeg(SampleDicom(), mask, 96, 96, "v").ok());
  const std::string minimal = Edited([](DcmDataset* ds) {
    delete ds->remove(DCM_FrameOfReferenceUID);
    delete ds->remove(DCM_SeriesInstanceUID);
  });
  ASSERT_TRUE(DecodeDicom(minimal).ok());  // still a valid slice to segment
  auto seg = MakeDicomSeg(minimal, mask, 96, 96, "v");
  EXPECT_EQ(seg.status().code(), absl::StatusCode::kInvalidArgument) << seg.status();
  EXPECT_NE(seg.status().message().find("SeriesInstanceUID, FrameOfReferenceUID"), std::string::npos)
      << seg.status();
}

TEST_F(DicomImageTest, UnknownTransferSyntaxIsUnimplemented) {
  // Issue 29 row 14: a file whose meta header names an unknown transfer
  // syntax was decoded as if it were another.
  auto ff = ReadPart10(SampleDicom());
  ASSERT_TRUE(ff.ok());
  auto bytes = WritePart10(**ff);
  ASSERT_TRUE(bytes.ok());
  const std::string known = "1.2.840.10008.1.2.1";  // explicit VR little endian, in the meta header
  const size_t at = bytes->find(known);
  ASSERT_NE(at, std::string::npos);
  std::string edited = *bytes;
  edited.replace(at, known.size(), "1.2.840.99999.1.2.1");  // same length: the header stays consistent
  auto r = DecodeDicom(edited);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnimplemented) << r.status();
  EXPECT_NE(r.status().message().find("1.2.840.99999.1.2.1"), std::string::npos) << r.status();
}

}  // namespace
}  // namespace lsms

namespace lsms {
namespace {

// The dicom_decode fuzz target's first finding: a JPEG Lossless slice whose
// fragment walk reaches a TEM marker made DCMTK 3.6.7 spin forever in
// DJCodecDecoder::scanJpegDataForBitDepth. It must now be refused at once.
TEST(DicomFuzzRegressionTest, InputsTheFuzzerFailedOnAreRefused) {
  ASSERT_TRUE(InitDicomCodecs().ok());
  for (const char* name : {"regress-jpeg-tem-hang.dcm", "regress-jpeg-tem-after-fill.dcm"}) {
    std::ifstream in(std::string(LSMS_FUZZ_CORPUS) + "/dicom_decode/" + name, std::ios::binary);
    ASSERT_TRUE(in) << "regression input missing: " << name;
    auto slice = DecodeDicom(std::string((std::istreambuf_iterator<char>(in)), {}));
    EXPECT_EQ(slice.status().code(), absl::StatusCode::kInvalidArgument) << name << ": " << slice.status();
  }
  // A 4.7 KiB file whose PixelData is an explicit SQ holding an element with
  // an unknown VR and a 3.7 GB length: DCMTK allocated the 3.7 GB. The
  // structure walk now reads it as DCMTK does and refuses it first.
  std::ifstream big(std::string(LSMS_FUZZ_CORPUS) + "/dicom_decode/regress-dcmtk-3.7gb-alloc.dcm", std::ios::binary);
  ASSERT_TRUE(big) << "regression input missing";
  auto refused = DecodeDicom(std::string((std::istreambuf_iterator<char>(big)), {}));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << refused.status();
  EXPECT_NE(refused.status().message().find("malformed element structure"), std::string::npos) << refused.status();
  // Every other committed DICOM seed decodes or is refused, and returns.
  for (const auto& entry : std::filesystem::directory_iterator(std::string(LSMS_FUZZ_CORPUS) + "/dicom_decode")) {
    std::ifstream f(entry.path(), std::ios::binary);
    const std::string b((std::istreambuf_iterator<char>(f)), {});
    (void)DecodeDicom(b);
  }
}

}  // namespace
}  // namespace lsms
