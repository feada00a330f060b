// gRPC edge of lsms.v1 (callback API): validates and preprocesses each
// request, hands it to the ModelRunner, and answers when its batch is done.
// Handlers never block on the model. Every accepted request gets exactly one
// answer; requests arriving before warm-up ends or while draining get
// UNAVAILABLE.
#ifndef LSMS_SERVER_SEGMENTATION_SERVICE_H_
#define LSMS_SERVER_SEGMENTATION_SERVICE_H_

#include <atomic>
#include <functional>

#include "absl/synchronization/mutex.h"
#include "lsms/v1/segmentation.grpc.pb.h"
#include "server/metrics/server_metrics.h"
#include "server/model_runner.h"
#include "server/request_preprocessor.h"

namespace lsms {

struct ServiceOptions {
  RequestLimits limits;
  // Slices one SegmentSeries stream may carry; more end the stream
  // RESOURCE_EXHAUSTED.
  int max_series_slices = 2000;
  // Slices of one stream in the server at once (queued, computing or
  // answered but not yet written); the next slice is read only when there is
  // room, so HTTP/2 flow control slows a fast sender and a client that stops
  // reading stops the stream instead of piling up answers. Capped by the
  // queue's capacity, so a lone series never overflows the queue.
  int series_window = 8;
};

// Segment is a raw method (bytes in, bytes out) so that a request that does
// not parse, a malformed protobuf or a string field that is not UTF-8, gets
// INVALID_ARGUMENT saying so; gRPC's own parsing answers those UNIMPLEMENTED
// with no message (issue 29 row 13).
using SegmentationServiceBase = lsms::v1::SegmentationService::WithRawCallbackMethod_Segment<
    lsms::v1::SegmentationService::WithCallbackMethod_SegmentSeries<
        lsms::v1::SegmentationService::WithCallbackMethod_GetModelInfo<
            lsms::v1::SegmentationService::WithCallbackMethod_ReloadModel<lsms::v1::SegmentationService::Service>>>>;

class SegmentationService final : public SegmentationServiceBase {
 public:
  // `runner` and `metrics` (nullable) are not owned and must outlive the service.
  // GetModelInfo answers UNAVAILABLE until SetModelInfo() is called.
  SegmentationService(ModelRunner* runner, const ServiceOptions& options, ServerMetrics* metrics = nullptr);

  // Counts and logs (audit log, request_log.h) one answered request.
  void Record(Rpc rpc, const std::string& caller, const std::string& request_id, const absl::Status& status,
              const lsms::v1::Timing* timing);

  // Serving starts after warm-up; stops at drain.
  void SetReady(bool ready) { ready_.store(ready); }
  // `full` goes to callers with the admin scope, `public_view` (no training
  // command, no data paths) to the others.
  void SetModelInfo(lsms::v1::ModelInfo full, lsms::v1::ModelInfo public_view);
  std::string model_version() const;

  grpc::ServerUnaryReactor* Segment(grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
                                    grpc::ByteBuffer* response) override;
  grpc::ServerBidiReactor<lsms::v1::SegmentRequest, lsms::v1::SegmentResponse>* SegmentSeries(
      grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* GetModelInfo(grpc::CallbackServerContext* context,
                                         const lsms::v1::GetModelInfoRequest* request,
                                         lsms::v1::ModelInfo* response) override;
  grpc::ServerUnaryReactor* ReloadModel(grpc::CallbackServerContext* context,
                                        const lsms::v1::ReloadModelRequest* request,
                                        lsms::v1::ReloadModelResponse* response) override;

  // Runs a reload off the RPC threads and calls `done` with its outcome (the
  // Server provides it; until then ReloadModel answers UNIMPLEMENTED).
  using ReloadFn = std::function<void(std::string checkpoint_path,
                                      std::function<void(absl::StatusOr<lsms::v1::ReloadModelResponse>)> done)>;
  void SetReloader(ReloadFn reload) { reload_ = std::move(reload); }

  // Prepares and submits one request; `done` is called exactly once (maybe
  // before this returns, for rejected requests). Used by both RPCs.
  // `priority` 0 (interactive single slices) is served before 1 (series).
  void Dispatch(const lsms::v1::SegmentRequest& request, absl::Time deadline,
                std::shared_ptr<std::atomic<bool>> cancel, int priority, SegmentTask::Done done);

  const ServiceOptions& options() const { return options_; }
  // Requests refused RESOURCE_EXHAUSTED before their image was decoded
  // because the queue was full then (the batcher refuses the few that race
  // past this check, after decoding).
  int64_t refused_before_decode() const { return refused_before_decode_.load(); }
  // ServiceOptions::series_window capped by the queue's capacity.
  int series_window() const;

 private:
  ModelRunner* const runner_;
  ServerMetrics* const metrics_;
  const ServiceOptions options_;
  ReloadFn reload_;  // set once before serving
  std::atomic<bool> ready_{false};
  std::atomic<int64_t> refused_before_decode_{0};
  mutable absl::Mutex info_mu_;
  bool has_info_ ABSL_GUARDED_BY(info_mu_) = false;
  lsms::v1::ModelInfo info_ ABSL_GUARDED_BY(info_mu_);
  lsms::v1::ModelInfo public_info_ ABSL_GUARDED_BY(info_mu_);
};

}  // namespace lsms

#endif  // LSMS_SERVER_SEGMENTATION_SERVICE_H_
