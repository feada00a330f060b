// ModelRunner: N model instances (one Segmenter and one batcher worker
// each), the dynamic batcher in front of them, warm-up with the batch-size
// policy, postprocessing, and hot reload. Thread-safe.
//
// Hot reload (Reload()): the new checkpoint is loaded and warmed up beside
// the serving one, then published atomically; requests prepared before the
// swap finish on the old model (their task holds it), requests prepared
// after run on the new one, none fails. A failed load changes nothing.
#ifndef LSMS_SERVER_MODEL_RUNNER_H_
#define LSMS_SERVER_MODEL_RUNNER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "lsms/v1/segmentation.pb.h"
#include "model/segmenter.h"
#include "absl/synchronization/mutex.h"
#include "server/batching/dynamic_batcher.h"
#include "server/model_set.h"
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
  // Text-encoder outputs kept for this many distinct expressions, shared by
  // the instances (model/expression_cache.h); each loaded model set gets a
  // scope of its own. 0 = no cache.
  int expression_cache_entries = 1024;
  // Called after every executed batch with its size (metrics); may be empty.
  std::function<void(int)> on_batch;
  // Makes each model instance (required). lsms-server passes
  // Segmenter::Load (the libtorch model); tests inject fakes and wrappers.
  // Keeping the factory outside keeps lsms_server free of libtorch.
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

  // The model new requests are prepared for and run on.
  std::shared_ptr<const ModelSet> current() const;

  // Loads `checkpoint_path` (empty: the configured one, re-read), warms it up
  // at every batch size up to the current maximum and swaps it in. Returns
  // the new set. ABORTED if another reload is running; the load's error
  // otherwise (the serving model is untouched). Blocks for the load and the
  // warm-up: call it off the RPC threads.
  absl::StatusOr<std::shared_ptr<const ModelSet>> Reload(const std::string& checkpoint_path);
  lsms::v1::BatchingPolicy policy() const;
  int queue_size() const { return batcher_->queue_size(); }
  // Whether Submit would now refuse for a full queue, and its status then.
  bool QueueFull() const { return batcher_->queue_size() >= options_.batching.max_queue_size; }
  int max_queue_size() const { return options_.batching.max_queue_size; }
  absl::Status QueueFullStatus() const;
  Batcher::Stats stats() const { return batcher_->stats(); }
  // Zeros without a cache.
  ExpressionCache::Stats expression_cache_stats() const {
    return expression_cache_ ? expression_cache_->stats() : ExpressionCache::Stats{};
  }

 private:
  ModelRunner() = default;
  absl::StatusOr<std::shared_ptr<ModelSet>> LoadSet(const Segmenter::Options& options) const;
  void ProcessBatch(int worker, Batcher::Batch batch);
  // Runs tasks [begin, end) of `batch`, all prepared for `set`, on worker's instance.
  void RunGroup(int worker, const ModelSet& set, Batcher::Batch& batch, size_t begin, size_t end);

  ModelRunnerOptions options_;
  std::unique_ptr<Batcher> batcher_;
  lsms::v1::BatchingPolicy measured_;
  std::atomic<bool> reloading_{false};  // one reload at a time
  std::shared_ptr<ExpressionCache> expression_cache_;  // null: none
  mutable std::atomic<uint64_t> next_cache_scope_{1};   // one per LoadSet()
  mutable absl::Mutex mu_;
  std::shared_ptr<const ModelSet> current_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lsms

#endif  // LSMS_SERVER_MODEL_RUNNER_H_
