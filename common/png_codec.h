// 8-bit greyscale and RGB PNG encoding/decoding with libpng (masks, overlays).
#ifndef LSMS_COMMON_PNG_CODEC_H_
#define LSMS_COMMON_PNG_CODEC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace lsms {

struct PngImage {
  int width = 0;
  int height = 0;
  int channels = 1;             // 1 = grey, 3 = RGB
  std::vector<uint8_t> pixels;  // row-major, interleaved
};

absl::StatusOr<std::string> EncodePng(const PngImage& image);
absl::StatusOr<PngImage> DecodePng(const std::string& bytes);  // converts to 8-bit grey or RGB
absl::Status WriteFile(const std::string& path, const std::string& bytes);
absl::StatusOr<std::string> ReadFile(const std::string& path);

}  // namespace lsms

#endif  // LSMS_COMMON_PNG_CODEC_H_
