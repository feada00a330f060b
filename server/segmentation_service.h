// gRPC edge of lsms.v1: converts between protobuf and the layers below.
// Segment and SegmentSeries arrive with the batching work (issue #5); until
// then they answer UNIMPLEMENTED (the generated default).
//
// Threading: callback API; handlers never block.
#ifndef LSMS_SERVER_SEGMENTATION_SERVICE_H_
#define LSMS_SERVER_SEGMENTATION_SERVICE_H_

#include "lsms/v1/segmentation.grpc.pb.h"

namespace lsms {

class SegmentationService final : public lsms::v1::SegmentationService::CallbackService {
 public:
  // `info` is the immutable description returned by GetModelInfo.
  explicit SegmentationService(lsms::v1::ModelInfo info) : info_(std::move(info)) {}

  grpc::ServerUnaryReactor* GetModelInfo(grpc::CallbackServerContext* context,
                                         const lsms::v1::GetModelInfoRequest* request,
                                         lsms::v1::ModelInfo* response) override;

 private:
  const lsms::v1::ModelInfo info_;
};

}  // namespace lsms

#endif  // LSMS_SERVER_SEGMENTATION_SERVICE_H_
