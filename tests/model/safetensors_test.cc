#include "model/safetensors.h"

#include <cstring>

#include <gtest/gtest.h>

namespace lsms {
namespace {

std::string Bytes(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4);
}

TEST(SafetensorsTest, RoundTripsTensorsAndMetadata) {
  SafetensorsFile f;
  f.tensors["a.weight"] = {DType::kF32, {2, 3}, Bytes({1, 2, 3, 4, 5, 6})};
  f.tensors["b"] = {DType::kF32, {1}, Bytes({-0.5f})};
  f.metadata["k"] = "v";
  auto parsed = SafetensorsFile::Parse(f.Serialize());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->metadata.at("k"), "v");
  ASSERT_EQ(parsed->tensors.size(), 2u);
  EXPECT_EQ(parsed->tensors.at("a.weight").shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(*parsed->tensors.at("a.weight").ToFloat(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(*parsed->tensors.at("b").ToFloat(), (std::vector<float>{-0.5f}));
}

TEST(SafetensorsTest, ParsesHandWrittenFileWithHalfAndBFloat16) {
  // Header written by hand exactly as the Python library would.
  std::string header =
      R"({"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},)"
      R"("b":{"dtype":"BF16","shape":[1],"data_offsets":[4,6]}})";
  std::string file(8, '\0');
  uint64_t n = header.size();
  std::memcpy(file.data(), &n, 8);
  file += header;
  const uint16_t half[2] = {0x3C00, 0xC000};  // 1.0, -2.0
  const uint16_t bf = 0x4049;                  // 3.140625
  file.append(reinterpret_cast<const char*>(half), 4);
  file.append(reinterpret_cast<const char*>(&bf), 2);
  auto parsed = SafetensorsFile::Parse(file);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed->tensors.at("h").ToFloat(), (std::vector<float>{1.0f, -2.0f}));
  EXPECT_FLOAT_EQ((*parsed->tensors.at("b").ToFloat())[0], 3.140625f);
}

TEST(SafetensorsTest, RejectsOffsetsOutsideFile) {
  std::string header = R"({"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})";
  std::string file(8, '\0');
  uint64_t n = header.size();
  std::memcpy(file.data(), &n, 8);
  file += header + std::string(8, '\0');  // only 8 of 16 bytes
  auto parsed = SafetensorsFile::Parse(file);
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("'x'"), std::string::npos);
}

TEST(SafetensorsTest, RejectsShapeSizeMismatch) {
  std::string header = R"({"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})";
  std::string file(8, '\0');
  uint64_t n = header.size();
  std::memcpy(file.data(), &n, 8);
  file += header + std::string(8, '\0');
  EXPECT_FALSE(SafetensorsFile::Parse(file).ok());
}

TEST(SafetensorsTest, RejectsGarbage) {
  EXPECT_FALSE(SafetensorsFile::Parse("abc").ok());
  EXPECT_FALSE(SafetensorsFile::Parse(std::string(8, '\xff') + "x").ok());
}

// Headers with fields of the wrong type or sizes past the file are errors,
// never exceptions (the safetensors fuzz target's first finding: a dtype that
// was not a string ended the process).
TEST(SafetensorsTest, WrongTypesAndOversizedShapesAreErrorsNotExceptions) {
  for (const std::string header : {
           R"({"x":{"dtype":7,"shape":[2],"data_offsets":[0,8]}})",
           R"({"x":{"dtype":"F32","shape":{"a":2},"data_offsets":[0,8]}})",
           R"({"x":{"dtype":"F32","shape":2,"data_offsets":[0,8]}})",
           R"({"x":{"dtype":"F32","shape":[2],"data_offsets":["0",8]}})",
           R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[-1,8]}})",
           R"({"x":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]}})",
       }) {
    std::string file(8, '\0');
    uint64_t n = header.size();
    std::memcpy(file.data(), &n, 8);
    file += header + std::string(8, '\0');
    EXPECT_FALSE(SafetensorsFile::Parse(file).ok()) << header;
  }
}

TEST(SafetensorsTest, HalfConversionRoundsToNearest) {
  for (float f : {0.0f, 1.0f, -1.5f, 65504.0f, 0.000061035156f, 3.140625f}) {
    EXPECT_FLOAT_EQ(HalfToFloat(FloatToHalf(f)), f);
  }
  EXPECT_NEAR(HalfToFloat(FloatToHalf(0.1f)), 0.1f, 1e-4);
}

}  // namespace
}  // namespace lsms
