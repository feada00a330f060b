#include "server/segmentation_service.h"

#include <algorithm>

#include "absl/time/clock.h"
#include "server/request_log.h"
#include "server/security/caller.h"
#include "server/series_reactor.h"

namespace lsms {
namespace {

// absl::Status → grpc::Status: the one conversion point (the codes coincide).
grpc::Status ToGrpc(const absl::Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

// Unary Segment: owns the cancel flag; deletes itself when gRPC is done.
class SegmentReactor final : public grpc::ServerUnaryReactor {
 public:
  SegmentReactor() : cancel_(std::make_shared<std::atomic<bool>>(false)) {}
  void OnCancel() override { cancel_->store(true); }
  void OnDone() override { delete this; }
  std::shared_ptr<std::atomic<bool>> cancel_flag() const { return cancel_; }

 private:
  std::shared_ptr<std::atomic<bool>> cancel_;
};

}  // namespace

SegmentationService::SegmentationService(ModelRunner* runner, const ServiceOptions& options,
                                         ServerMetrics* metrics)
    : runner_(runner),
      metrics_(metrics),
      options_(options) {}

void SegmentationService::Record(Rpc rpc, const std::string& caller, const std::string& request_id,
                                 const absl::Status& status, const lsms::v1::Timing* timing) {
  const char* name = rpc == Rpc::kSegment         ? "Segment"
                     : rpc == Rpc::kSegmentSeries ? "SegmentSeries"
                     : rpc == Rpc::kGetModelInfo  ? "GetModelInfo"
                                                  : "ReloadModel";
  LogRequest({name, caller, model_version(), request_id, status, timing});
  if (metrics_) metrics_->ObserveRequest(rpc, status, timing);
}

std::string SegmentationService::model_version() const {
  absl::MutexLock l(&info_mu_);
  return info_.version();
}

int SegmentationService::series_window() const {
  return std::max(1, std::min(options_.series_window, runner_->max_queue_size()));
}

void SegmentationService::SetModelInfo(lsms::v1::ModelInfo full, lsms::v1::ModelInfo public_view) {
  absl::MutexLock l(&info_mu_);
  has_info_ = true;
  info_ = std::move(full);
  public_info_ = std::move(public_view);
}

void SegmentationService::Dispatch(const lsms::v1::SegmentRequest& request, absl::Time deadline,
                                   std::shared_ptr<std::atomic<bool>> cancel, int priority,
                                   SegmentTask::Done done) {
  if (!ready_.load()) {
    done(absl::UnavailableError("server is warming up or draining; retry with backoff"));
    return;
  }
  // Admission before the decode: a request the queue cannot take costs no
  // decoding (issue 29 row 11: at 2x overload rejected work cost CPU).
  if (runner_->QueueFull()) {
    refused_before_decode_.fetch_add(1);
    done(runner_->QueueFullStatus());
    return;
  }
  auto task = std::make_unique<SegmentTask>();
  task->received = absl::Now();
  // Prepared for the model serving now, and run on it even if a reload
  // swaps another in meanwhile.
  task->model = runner_->current();
  const RequestPreprocessor preprocessor(task->model->model().config(), task->model->model().tokenizer(),
                                         options_.limits);
  auto prepared = preprocessor.Prepare(request);
  if (!prepared.ok()) {
    done(prepared.status());
    return;
  }
  task->prepared = std::move(*prepared);
  task->preprocess = absl::Now() - task->received;
  task->deadline_at = deadline;
  task->cancel_flag = std::move(cancel);
  task->priority_level = priority;
  task->done = std::move(done);
  absl::Status st = runner_->Submit(&task);
  if (!st.ok()) task->done(st);  // rejected: the task is still ours
}

grpc::ServerUnaryReactor* SegmentationService::Segment(grpc::CallbackServerContext* context,
                                                       const grpc::ByteBuffer* request_bytes,
                                                       grpc::ByteBuffer* response_bytes) {
  auto* reactor = new SegmentReactor();
  const std::string caller = CallerOf(*context).name;
  lsms::v1::SegmentRequest request;
  grpc::ByteBuffer copy(*request_bytes);  // Deserialize consumes its buffer; slices are shared, not copied
  if (!grpc::SerializationTraits<lsms::v1::SegmentRequest>::Deserialize(&copy, &request).ok()) {
    const absl::Status status = absl::InvalidArgumentError(
        "the request is not a valid lsms.v1.SegmentRequest: a malformed protobuf, or a string field "
        "(request_id, expression) that is not UTF-8");
    Record(Rpc::kSegment, caller, "", status, nullptr);
    reactor->Finish(ToGrpc(status));
    return reactor;
  }
  const std::string id = request.request_id();
  Dispatch(request, absl::FromChrono(context->deadline()), reactor->cancel_flag(), /*priority=*/0,
           [this, reactor, response_bytes, id, caller](absl::StatusOr<lsms::v1::SegmentResponse> r) {
             if (!r.ok()) {
               Record(Rpc::kSegment, caller, id, r.status(), nullptr);
               reactor->Finish(ToGrpc(r.status()));
               return;
             }
             Record(Rpc::kSegment, caller, id, absl::OkStatus(), &r->timing());
             bool own_buffer = false;
             const grpc::Status written =
                 grpc::SerializationTraits<lsms::v1::SegmentResponse>::Serialize(*r, response_bytes, &own_buffer);
             reactor->Finish(written);
           });
  return reactor;
}

grpc::ServerBidiReactor<lsms::v1::SegmentRequest, lsms::v1::SegmentResponse>*
SegmentationService::SegmentSeries(grpc::CallbackServerContext* context) {
  return new SeriesReactor(this, context);
}

grpc::ServerUnaryReactor* SegmentationService::GetModelInfo(grpc::CallbackServerContext* context,
                                                            const lsms::v1::GetModelInfoRequest*,
                                                            lsms::v1::ModelInfo* response) {
  const Caller caller = CallerOf(*context);
  absl::Status status;
  {
    absl::MutexLock l(&info_mu_);
    if (!has_info_) {
      status = absl::UnavailableError("the model is still loading; retry with backoff");
    } else {
      *response = caller.Has(kScopeAdmin) ? info_ : public_info_;
    }
  }
  Record(Rpc::kGetModelInfo, caller.name, "", status, nullptr);
  auto* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpc(status));
  return reactor;
}

grpc::ServerUnaryReactor* SegmentationService::ReloadModel(grpc::CallbackServerContext* context,
                                                           const lsms::v1::ReloadModelRequest* request,
                                                           lsms::v1::ReloadModelResponse* response) {
  auto* reactor = context->DefaultReactor();
  const Caller caller = CallerOf(*context);
  auto finish = [this, reactor, response, name = caller.name](absl::StatusOr<lsms::v1::ReloadModelResponse> r) {
    const absl::Status status = r.status();
    if (r.ok()) *response = std::move(*r);
    Record(Rpc::kReloadModel, name, "", status, nullptr);
    reactor->Finish(ToGrpc(status));
  };
  if (!caller.Has(kScopeAdmin)) {
    finish(absl::PermissionDeniedError(
        "ReloadModel needs the admin scope (configure authentication, or send the server SIGHUP)"));
  } else if (!ready_.load()) {
    finish(absl::UnavailableError("server is warming up or draining"));
  } else if (!reload_) {
    finish(absl::UnimplementedError("this server cannot reload models"));
  } else {
    reload_(request->checkpoint_path(), std::move(finish));
  }
  return reactor;
}

}  // namespace lsms
