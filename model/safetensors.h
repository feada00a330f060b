// Reader and writer of the safetensors format (Hugging Face): an 8-byte
// little-endian header length N, N bytes of JSON
//   {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
//    "__metadata__": {"key": "value", ...}}
// then the raw little-endian tensor bytes. Plain C++ (no torch); conversion to
// torch tensors lives in checkpoint.cc.
//
// Supported dtypes: F32, F16, BF16 (read as float), plus I64/I32 kept raw.
#ifndef LSMS_MODEL_SAFETENSORS_H_
#define LSMS_MODEL_SAFETENSORS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace lsms {

enum class DType { kF32, kF16, kBF16, kI64, kI32 };

const char* DTypeName(DType d);
size_t DTypeSize(DType d);

struct TensorView {
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  std::string bytes;  // raw little-endian payload

  int64_t numel() const;
  // Converts F32/F16/BF16 payloads to float.
  absl::StatusOr<std::vector<float>> ToFloat() const;
};

struct SafetensorsFile {
  std::map<std::string, TensorView> tensors;
  std::map<std::string, std::string> metadata;

  static absl::StatusOr<SafetensorsFile> Parse(const std::string& data);
  static absl::StatusOr<SafetensorsFile> Load(const std::string& path);
  std::string Serialize() const;
  absl::Status Save(const std::string& path) const;
};

// IEEE half / bfloat16 conversions (round to nearest even on the way down).
float HalfToFloat(uint16_t h);
uint16_t FloatToHalf(float f);
float BFloat16ToFloat(uint16_t b);

}  // namespace lsms

#endif  // LSMS_MODEL_SAFETENSORS_H_
