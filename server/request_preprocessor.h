// Validates a SegmentRequest and turns it into model input: DICOM or raw
// pixels → Hounsfield units → the model's letterboxed windows; expression →
// WordPiece ids. Every rejection is INVALID_ARGUMENT (or UNIMPLEMENTED for an
// undecodable transfer syntax) with a message naming the problem.
// Thread-safe (const after construction).
#ifndef LSMS_SERVER_REQUEST_PREPROCESSOR_H_
#define LSMS_SERVER_REQUEST_PREPROCESSOR_H_

#include <string>

#include "absl/status/statusor.h"
#include "lsms/v1/segmentation.pb.h"
#include "model/model_config.h"
#include "model/segmenter.h"
#include "model/tokenizer.h"
#include "server/dicom/dicom_image.h"

namespace lsms {

struct RequestLimits {
  DicomLimits dicom;           // also bounds raw images
  size_t max_expression_bytes = 512;
  size_t max_request_id_bytes = 128;
};

// What postprocessing needs to map the prediction back.
struct RequestContext {
  std::string request_id;
  Letterbox box;
  double row_spacing_mm = 0, col_spacing_mm = 0;  // 0 = unknown
  float threshold = 0.5f;
  lsms::v1::OutputOptions output;
  std::vector<std::string> tokens;  // the encoded tokens incl. [CLS]/[SEP]
  bool from_dicom = false;
  std::string source_dicom;         // kept only when a DICOM SEG is asked for
};

struct PreparedRequest {
  ModelInput input;
  RequestContext context;
};

class RequestPreprocessor {
 public:
  RequestPreprocessor(const ModelConfig& config, const Tokenizer& tokenizer, RequestLimits limits)
      : config_(config), tokenizer_(tokenizer), limits_(limits) {}

  absl::StatusOr<PreparedRequest> Prepare(const lsms::v1::SegmentRequest& request) const;

 private:
  absl::StatusOr<DecodedSlice> DecodeRaw(const lsms::v1::RawImage& raw) const;

  const ModelConfig& config_;
  const Tokenizer& tokenizer_;
  const RequestLimits limits_;
};

}  // namespace lsms

#endif  // LSMS_SERVER_REQUEST_PREPROCESSOR_H_
