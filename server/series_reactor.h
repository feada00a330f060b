// SeriesReactor: one SegmentSeries stream. Reads slices one at a time while
// fewer than the service's series window are in the server (flow control),
// dispatches each to the batcher, and writes results back as they finish
// (any order; each carries its request_id and its own status). The stream
// ends OK after the client half-closes and every slice has been answered.
// Thread-safety: gRPC callbacks and batcher completions may race; all state
// is under mu_.
#ifndef LSMS_SERVER_SERIES_REACTOR_H_
#define LSMS_SERVER_SERIES_REACTOR_H_

#include <atomic>
#include <deque>
#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "lsms/v1/segmentation.grpc.pb.h"

namespace lsms {

class SegmentationService;

class SeriesReactor final
    : public grpc::ServerBidiReactor<lsms::v1::SegmentRequest, lsms::v1::SegmentResponse> {
 public:
  SeriesReactor(SegmentationService* service, grpc::CallbackServerContext* context);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  absl::Status LimitStatus() const;
  void OnCancel() override;
  void OnDone() override;

 private:
  void Enqueue(lsms::v1::SegmentResponse response);
  // With mu_ held: start the next write, or, when everything is done, mark
  // the stream finished and return the status to Finish() it with — which
  // the caller does after releasing mu_ (FinishIf).
  std::optional<grpc::Status> Pump() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Finishes `reactor` when `status` is set, outside mu_. Static: with no
  // status it must not touch the reactor at all, which another thread may
  // have finished and deleted meanwhile (a batcher thread's Enqueue that
  // leaves the finish to the write completing; ASan+UBSan caught the member
  // call on the deleted reactor).
  static void FinishIf(SeriesReactor* reactor, const std::optional<grpc::Status>& status);
  // With mu_ held: read the next slice if the window has room.
  void MaybeRead() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  SegmentationService* const service_;
  grpc::CallbackServerContext* const context_;
  const std::string caller_;  // for the audit log
  const std::shared_ptr<std::atomic<bool>> cancel_;
  lsms::v1::SegmentRequest request_;  // the read buffer
  absl::Mutex mu_;
  std::deque<lsms::v1::SegmentResponse> pending_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;  // a write failed: stop writing
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  int outstanding_ ABSL_GUARDED_BY(mu_) = 0;
  int slices_ ABSL_GUARDED_BY(mu_) = 0;
  bool over_limit_ ABSL_GUARDED_BY(mu_) = false;  // ends the stream RESOURCE_EXHAUSTED
  bool reading_ ABSL_GUARDED_BY(mu_) = false;     // a StartRead is outstanding
  const int window_;
};

}  // namespace lsms

#endif  // LSMS_SERVER_SERIES_REACTOR_H_
