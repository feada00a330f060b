#include "server/segmentation_service.h"

namespace lsms {

grpc::ServerUnaryReactor* SegmentationService::GetModelInfo(
    grpc::CallbackServerContext* context, const lsms::v1::GetModelInfoRequest* /*request*/,
    lsms::v1::ModelInfo* response) {
  *response = info_;
  auto* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace lsms
