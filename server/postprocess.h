// Prediction (model grid) → SegmentResponse at the original resolution:
// probabilities → mask at the threshold; confidence (mean probability over
// the mask), target-present, bounding box, pixel count, area in mm²; the mask
// encodings of the API; the optional probability map and token relevance.
#ifndef LSMS_SERVER_POSTPROCESS_H_
#define LSMS_SERVER_POSTPROCESS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "lsms/v1/segmentation.pb.h"
#include "model/segmenter.h"
#include "server/request_preprocessor.h"

namespace lsms {

// Run lengths (uint32 LE) over a row-major {0,1} raster, starting with a
// background run; the API's MASK_ENCODING_RLE.
std::string EncodeRle(const std::vector<uint8_t>& mask);
std::vector<uint8_t> DecodeRle(const std::string& rle, size_t size);

// `model_version` goes into the DICOM SEG's equipment and algorithm name.
absl::Status Postprocess(const Prediction& prediction, const RequestContext& context,
                         const std::string& model_version, lsms::v1::SegmentResponse* response);

}  // namespace lsms

#endif  // LSMS_SERVER_POSTPROCESS_H_
