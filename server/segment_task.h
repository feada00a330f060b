// One accepted Segment request travelling through the batcher. Satisfies the
// DynamicBatcher Task requirements. `done` is called exactly once, with the
// response or the error, on a batcher worker thread.
#ifndef LSMS_SERVER_SEGMENT_TASK_H_
#define LSMS_SERVER_SEGMENT_TASK_H_

#include <atomic>
#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lsms/v1/segmentation.pb.h"
#include "server/model_set.h"
#include "server/request_preprocessor.h"

namespace lsms {

struct SegmentTask {
  using Done = std::function<void(absl::StatusOr<lsms::v1::SegmentResponse>)>;

  PreparedRequest prepared;
  // The model the request was prepared for, and will run on.
  std::shared_ptr<const ModelSet> model;
  absl::Time received;               // when the RPC arrived
  absl::Time queued;                 // when it entered the batcher
  absl::Duration preprocess;         // decode + windowing + tokenisation
  absl::Time deadline_at = absl::InfiniteFuture();
  int priority_level = 0;
  // Shared with the RPC reactor, which sets it on cancellation.
  std::shared_ptr<std::atomic<bool>> cancel_flag;
  Done done;

  absl::Time deadline() const { return deadline_at; }
  bool cancelled() const { return cancel_flag && cancel_flag->load(); }
  int priority() const { return priority_level; }
  // What the task holds while queued: the model input, the HU image of
  // two-pass inference and the source DICOM kept for a SEG.
  size_t bytes() const {
    const ModelInput& in = prepared.input;
    return sizeof(*this) + in.image.size() * sizeof(float) + (in.hu ? in.hu->data.size() * sizeof(float) : 0) +
           prepared.context.source_dicom.size();
  }
  void Fail(const absl::Status& s) { done(s); }
};

}  // namespace lsms

#endif  // LSMS_SERVER_SEGMENT_TASK_H_
