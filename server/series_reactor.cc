#include "server/series_reactor.h"

#include "absl/strings/str_cat.h"
#include "server/request_log.h"
#include "server/security/caller.h"
#include "server/segmentation_service.h"

namespace lsms {

SeriesReactor::SeriesReactor(SegmentationService* service, grpc::CallbackServerContext* context)
    : service_(service),
      context_(context),
      caller_(CallerOf(*context).name),
      cancel_(std::make_shared<std::atomic<bool>>(false)),
      window_(service->series_window()) {
  absl::MutexLock l(&mu_);
  MaybeRead();
}

void SeriesReactor::MaybeRead() {
  if (reading_ || reads_done_ || broken_ || finished_) return;
  if (outstanding_ + static_cast<int>(pending_.size()) >= window_) return;  // resumed by Enqueue/OnWriteDone
  reading_ = true;
  StartRead(&request_);
}

void SeriesReactor::OnReadDone(bool ok) {
  // request_ is ours until reading_ is cleared: no other read can start.
  lsms::v1::SegmentRequest request;
  if (ok) request = std::move(request_);
  const std::string id = request.request_id();
  std::optional<grpc::Status> finish;
  bool accepted = false;
  {
    absl::MutexLock l(&mu_);
    reading_ = false;
    if (!ok) {  // client half-closed (or the stream broke)
      reads_done_ = true;
      finish = Pump();
    } else if (++slices_ > service_->options().max_series_slices) {
      // A stream-level error (the proto's contract): nothing more is read,
      // the accepted slices are answered, then the stream ends with it.
      over_limit_ = true;
      reads_done_ = true;
      service_->Record(Rpc::kSegmentSeries, caller_, id, LimitStatus(), nullptr);
      finish = Pump();
    } else {
      ++outstanding_;
      accepted = true;
    }
  }
  if (!accepted) {
    FinishIf(this, finish);
    return;
  }
  auto done = [this, id](absl::StatusOr<lsms::v1::SegmentResponse> r) {
    lsms::v1::SegmentResponse out;
    if (r.ok()) {
      out = std::move(*r);
      service_->Record(Rpc::kSegmentSeries, caller_, id, absl::OkStatus(), &out.timing());
    } else {
      service_->Record(Rpc::kSegmentSeries, caller_, id, r.status(), nullptr);
      out.set_request_id(id);
      out.mutable_status()->set_code(static_cast<int>(r.status().code()));
      out.mutable_status()->set_message(std::string(r.status().message()));
    }
    Enqueue(std::move(out));
  };
  service_->Dispatch(request, absl::FromChrono(context_->deadline()), cancel_, /*priority=*/1, std::move(done));
  absl::MutexLock l(&mu_);
  MaybeRead();
}

absl::Status SeriesReactor::LimitStatus() const {
  return absl::ResourceExhaustedError(absl::StrCat("series exceeds ", service_->options().max_series_slices,
                                                   " slices; send at most that many per stream"));
}

void SeriesReactor::Enqueue(lsms::v1::SegmentResponse response) {
  std::optional<grpc::Status> finish;
  {
    absl::MutexLock l(&mu_);
    --outstanding_;
    if (!broken_) pending_.push_back(std::move(response));
    finish = Pump();
    MaybeRead();
  }
  FinishIf(this, finish);
}

std::optional<grpc::Status> SeriesReactor::Pump() {
  if (finished_) return std::nullopt;
  if (!writing_ && !pending_.empty() && !broken_) {
    writing_ = true;
    StartWrite(&pending_.front());
    return std::nullopt;
  }
  // Finished reading: the client half-closed, the limit was reached, or the
  // stream broke with no read outstanding (none will complete then).
  const bool reads_over = reads_done_ || (broken_ && !reading_);
  if (!writing_ && reads_over && outstanding_ == 0 && (pending_.empty() || broken_)) {
    finished_ = true;
    if (broken_) return grpc::Status(grpc::StatusCode::CANCELLED, "stream broken");
    if (over_limit_) return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, std::string(LimitStatus().message()));
    return grpc::Status::OK;
  }
  return std::nullopt;
}

void SeriesReactor::FinishIf(SeriesReactor* reactor, const std::optional<grpc::Status>& status) {
  // Outside mu_ and last: once Finish() is called, OnDone() may delete the
  // reactor on another thread (issue 29 row 15: Enqueue finished under the
  // lock on a batcher thread).
  if (status) reactor->Finish(*status);
}

void SeriesReactor::OnWriteDone(bool ok) {
  std::optional<grpc::Status> finish;
  {
    absl::MutexLock l(&mu_);
    writing_ = false;
    pending_.pop_front();
    if (!ok) {
      broken_ = true;
      pending_.clear();
    }
    finish = Pump();
    MaybeRead();
  }
  FinishIf(this, finish);
}

void SeriesReactor::OnCancel() {
  cancel_->store(true);  // queued slices are dropped before compute
  std::optional<grpc::Status> finish;
  {
    absl::MutexLock l(&mu_);
    broken_ = true;
    finish = Pump();
  }
  FinishIf(this, finish);
}

void SeriesReactor::OnDone() { delete this; }

}  // namespace lsms
