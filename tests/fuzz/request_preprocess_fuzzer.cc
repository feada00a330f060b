// libFuzzer target: a serialized SegmentRequest as it arrives off the wire —
// protobuf parsing, then the server's whole preprocessing (raw or DICOM
// image, expression, threshold, output options). Any input must give a
// prepared request or an error status.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "model/model_config.h"
#include "model/tokenizer.h"
#include "server/dicom/dicom_image.h"
#include "server/request_preprocessor.h"

namespace {

const lsms::RequestPreprocessor* Preprocessor() {
  static const auto* config = new lsms::ModelConfig(*lsms::ModelConfig::FromPreset("nano"));
  static const auto* tokenizer =
      lsms::Tokenizer::FromVocabText(lsms::Tokenizer::BuildVocab({"the largest hypodense lesion in the right lobe"}))
          ->release();
  static const auto* preprocessor = [] {
    lsms::RequestLimits limits;
    limits.dicom.max_rows = limits.dicom.max_cols = 1024;
    limits.dicom.max_bytes = 4 << 20;
    return new lsms::RequestPreprocessor(*config, *tokenizer, limits);
  }();
  return preprocessor;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (!lsms::InitDicomCodecs().ok()) __builtin_trap();
  Preprocessor();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lsms::v1::SegmentRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;  // gRPC refuses these itself
  auto prepared = Preprocessor()->Prepare(request);
  (void)prepared;
  return 0;
}
