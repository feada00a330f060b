// ModelRunner: N model instances (one Segmenter and one batcher worker
// each), the dynamic batcher in front of them, warm-up with the batch-size
// policy, and postprocessing. Thread-safe.
#ifndef LSMS_SERVER_MODEL_RUNNER_H_
#define LSMS_SERVER_MODEL_RUNNER_H_

#include <functional>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "lsms/v1/segmentation.pb.h"
#include "model/segmenter.h"
#include "server/batching/dynamic_batcher.h"
#include "server/segment_task.h"

namespace lsms {

struct ModelRunnerOptions {
  Segmenter::Options model;
  // Model instances = worker threads (one CUDA stream each on GPU).
  int num_instances = 1;
  // Two priorities: 0 = unary Segment, 1 = SegmentSeries slices.
  batching::BatcherOptions batching = [] {
    batching::BatcherOptions b;
    b.num_priorities = 2;
    return b;
  }();
  // At warm-up, measure each batch size 1, 2, 4, … ≤ batching.max_batch_size
  // and cap the maximum at the one with the best images/s.
  bool cap_batch_size_by_throughput = true;
  // Timed passes per batch size at warm-up (after one untimed pass).
  int warmup_iterations = 2;
  // Called after every executed batch with its size (metrics); may be empty.
  std::function<void(int)> on_batch;
  // Makes each model instance; empty = Segmenter::Load(model). Tests inject
  // a wrapping model here (e.g. one that fails on demand).
  std::function<absl::StatusOr<std::unique_ptr<Segmenter>>(const Segmenter::Options&)> segmenter_factory;
};

class ModelRunner {
 public:
  using Batcher = batching::DynamicBatcher<SegmentTask>;

  static absl::StatusOr<std::unique_ptr<ModelRunner>> Create(const ModelRunnerOptions& options);
  ~ModelRunner();

  // Runs every allowed batch size on every instance; sets the batch policy.
  absl::Status WarmUp();

  // Takes ownership on success; on failure (queue full, shutting down) the
  // caller keeps the task and answers it.
  absl::Status Submit(std::unique_ptr<SegmentTask>* task);

  // Stops admission; queued work runs until `drain_deadline`, the rest fails
  // UNAVAILABLE (DynamicBatcher::Shutdown). Idempotent.
  void Shutdown(absl::Time drain_deadline = absl::InfiniteFuture());

  const Segmenter& model() const { return *instances_[0]; }
  lsms::v1::BatchingPolicy policy() const;
  int queue_size() const { return batcher_->queue_size(); }
  // Whether Submit would now refuse for a full queue, and its status then.
  bool QueueFull() const { return batcher_->queue_size() >= options_.batching.max_queue_size; }
  int max_queue_size() const { return options_.batching.max_queue_size; }
  absl::Status QueueFullStatus() const;
  Batcher::Stats stats() const { return batcher_->stats(); }

 private:
  ModelRunner() = default;
  void ProcessBatch(int worker, Batcher::Batch batch);

  ModelRunnerOptions options_;
  std::vector<std::unique_ptr<Segmenter>> instances_;
  std::unique_ptr<Batcher> batcher_;
  lsms::v1::BatchingPolicy measured_;
};

}  // namespace lsms

#endif  // LSMS_SERVER_MODEL_RUNNER_H_
