// DynamicBatcher<Task>: a bounded, priority-aware request queue that forms
// batches for N worker threads (one per model instance). Depends on abseil
// only and is generic over its task type; the model and gRPC live elsewhere.
//
// Semantics (after TF Serving's BasicBatchScheduler and Triton's dynamic
// batcher):
//  - A batch is released when it reaches max_batch_size, or when the OLDEST
//    queued task has waited max_queue_delay (measured from its enqueue time,
//    not from when a worker looks), or at shutdown.
//  - With dispatch_when_idle (the default) it is also released at once when
//    no batch is being processed on any worker: an idle model never waits for
//    a partner that may not come. The delay therefore applies only while a
//    batch forms behind a busy model (with one worker: never, because what
//    queued while the model was busy is taken as soon as it is free). Measured
//    on the 2-core server at concurrency 1, the old unconditional wait was
//    5.1 ms of every ~290 ms request with no batch partner possible.
//  - The queue is bounded in tasks and in bytes: Schedule() fails at once
//    with RESOURCE_EXHAUSTED when max_queue_size tasks wait or when the task
//    would bring the waiting tasks' bytes() past max_queue_bytes (a task
//    larger than the whole budget is still taken when the queue is empty, so
//    no request is unservable), and with UNAVAILABLE after Shutdown(). On
//    failure the caller keeps the task.
//  - Tasks whose deadline passed, or that were cancelled, are dropped before
//    compute: their Fail() is called with DEADLINE_EXCEEDED or CANCELLED.
//  - Priority 0 is served first; within a priority, FIFO.
//  - Shutdown(drain_deadline) stops admission, lets workers flush the queued
//    tasks until the drain deadline, fails those still queued after it with
//    UNAVAILABLE, and joins the workers: every accepted task is either
//    processed or failed, once, and the drain ends one batch after its
//    deadline at most.
//
// Task requirements (members):
//   absl::Time deadline() const;     // absl::InfiniteFuture() for none
//   bool cancelled() const;          // thread-safe
//   int priority() const;            // 0..num_priorities-1
//   size_t bytes() const;            // memory the task holds while queued
//   void Fail(const absl::Status&);  // called at most once, by a worker
// Threading: all methods are thread-safe. The processor runs on worker
// threads, outside the batcher's lock; it owns the batch it is given.
#ifndef LSMS_SERVER_BATCHING_DYNAMIC_BATCHER_H_
#define LSMS_SERVER_BATCHING_DYNAMIC_BATCHER_H_

#include <algorithm>
#include <deque>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/batching/clock.h"

namespace lsms::batching {

struct BatcherOptions {
  // Largest batch handed to the processor. Can be lowered later (warm-up).
  int max_batch_size = 8;
  // Longest the oldest queued task waits for a batch to fill (while another
  // batch is running, when dispatch_when_idle; always, otherwise).
  absl::Duration max_queue_delay = absl::Milliseconds(5);
  // Release whatever is queued at once when no worker is processing a batch.
  bool dispatch_when_idle = true;
  // Tasks that may wait; one more is rejected with RESOURCE_EXHAUSTED.
  int max_queue_size = 256;
  // Bytes the waiting tasks may hold (Task::bytes()); 0 = no byte bound.
  size_t max_queue_bytes = 0;
  // Worker threads (model instances).
  int num_workers = 1;
  // Priority levels (0 = most urgent).
  int num_priorities = 1;
  // Time source; nullptr = Clock::Real(). Not owned.
  Clock* clock = nullptr;
};

template <typename Task>
class DynamicBatcher {
 public:
  using Batch = std::vector<std::unique_ptr<Task>>;
  // Called with the worker index (0..num_workers-1) and a non-empty batch.
  using Processor = std::function<void(int worker, Batch batch)>;

  struct Stats {
    int64_t scheduled = 0;
    int64_t rejected_full = 0;
    int64_t rejected_bytes = 0;  // refused for the byte bound
    int64_t dropped_deadline = 0;
    int64_t dropped_cancelled = 0;
    int64_t dropped_shutdown = 0;  // still queued when the drain deadline passed
    int64_t batches = 0;
    int64_t batches_on_idle = 0;  // released early because no batch was running
  };

  static absl::StatusOr<std::unique_ptr<DynamicBatcher>> Create(const BatcherOptions& options,
                                                                Processor processor) {
    if (options.max_batch_size < 1 || options.max_queue_size < 1 || options.num_workers < 1 ||
        options.num_priorities < 1 || options.max_queue_delay < absl::ZeroDuration() || !processor) {
      return absl::InvalidArgumentError("invalid batcher options");
    }
    auto b = std::unique_ptr<DynamicBatcher>(new DynamicBatcher(options, std::move(processor)));
    for (int i = 0; i < options.num_workers; ++i) b->workers_.emplace_back([p = b.get(), i] { p->WorkerLoop(i); });
    return b;
  }

  ~DynamicBatcher() { Shutdown(); }

  // Enqueues `*task` (taking ownership) or fails leaving it with the caller.
  absl::Status Schedule(std::unique_ptr<Task>* task) {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::UnavailableError("server is shutting down");
    if (size_ >= options_.max_queue_size) {
      ++stats_.rejected_full;
      return absl::ResourceExhaustedError(
          absl::StrCat("queue full (", options_.max_queue_size, " requests waiting)"));
    }
    const size_t bytes = (*task)->bytes();
    if (options_.max_queue_bytes > 0 && size_ > 0 && bytes_ + bytes > options_.max_queue_bytes) {
      ++stats_.rejected_bytes;
      return absl::ResourceExhaustedError(absl::StrCat("queue full (waiting requests hold ", bytes_,
                                                       " bytes of ", options_.max_queue_bytes, ")"));
    }
    bytes_ += bytes;
    const int p = std::clamp((*task)->priority(), 0, options_.num_priorities - 1);
    queues_[p].push_back({std::move(*task), clock_->Now()});
    ++size_;
    ++stats_.scheduled;
    return absl::OkStatus();
  }

  // Stops admission, processes queued tasks until `drain_deadline` and fails
  // the rest with UNAVAILABLE, joins the workers. Idempotent (a later call can
  // only bring the deadline forward).
  void Shutdown(absl::Time drain_deadline = absl::InfiniteFuture()) {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
      drain_deadline_ = std::min(drain_deadline_, drain_deadline);
    }
    for (auto& w : workers_) {
      if (w.joinable()) w.join();
    }
  }

  void SetMaxBatchSize(int n) {
    absl::MutexLock lock(&mu_);
    max_batch_size_ = std::max(1, n);
  }
  int max_batch_size() const {
    absl::MutexLock lock(&mu_);
    return max_batch_size_;
  }
  int queue_size() const {
    absl::MutexLock lock(&mu_);
    return size_;
  }
  size_t queue_bytes() const {
    absl::MutexLock lock(&mu_);
    return bytes_;
  }
  Stats stats() const {
    absl::MutexLock lock(&mu_);
    return stats_;
  }

 private:
  struct Entry {
    std::unique_ptr<Task> task;
    absl::Time enqueued;
  };

  DynamicBatcher(const BatcherOptions& o, Processor p)
      : options_(o),
        clock_(o.clock ? o.clock : Clock::Real()),
        processor_(std::move(p)),
        queues_(o.num_priorities),
        max_batch_size_(o.max_batch_size) {}

  absl::Time OldestEnqueue() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    absl::Time t = absl::InfiniteFuture();
    for (const auto& q : queues_) {
      if (!q.empty()) t = std::min(t, q.front().enqueued);
    }
    return t;
  }

  bool Idle() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return options_.dispatch_when_idle && in_flight_ == 0; }

  bool Ready() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || size_ >= max_batch_size_ ||
           (size_ > 0 && (Idle() || clock_->Now() >= OldestEnqueue() + options_.max_queue_delay));
  }

  void WorkerLoop(int worker) {
    for (;;) {
      Batch batch;
      std::vector<std::pair<std::unique_ptr<Task>, absl::Status>> dropped;
      {
        absl::MutexLock lock(&mu_);
        // Wait for work, then for a full batch or the oldest task's delay.
        for (;;) {
          if (size_ == 0 && stopping_) return;
          if (size_ == 0) {
            mu_.Await(absl::Condition(
                +[](DynamicBatcher* b) ABSL_NO_THREAD_SAFETY_ANALYSIS { return b->size_ > 0 || b->stopping_; }, this));
            continue;
          }
          if (Ready()) break;
          clock_->AwaitUntil(&mu_,
                             absl::Condition(
                                 +[](DynamicBatcher* b) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                                   return b->stopping_ || b->size_ >= b->max_batch_size_ || b->size_ == 0 ||
                                          b->Idle();
                                 },
                                 this),
                             OldestEnqueue() + options_.max_queue_delay);
        }
        const absl::Time now = clock_->Now();
        const bool on_idle = !stopping_ && size_ < max_batch_size_ && Idle() &&
                             now < OldestEnqueue() + options_.max_queue_delay;
        const bool drain_over = stopping_ && now >= drain_deadline_;
        for (auto& q : queues_) {
          while (!q.empty() && (drain_over || static_cast<int>(batch.size()) < max_batch_size_)) {
            std::unique_ptr<Task> t = std::move(q.front().task);
            q.pop_front();
            --size_;
            bytes_ -= t->bytes();
            if (drain_over) {
              ++stats_.dropped_shutdown;
              dropped.emplace_back(std::move(t), absl::UnavailableError("server shut down before this request ran "
                                                                        "(drain grace passed)"));
            } else if (t->cancelled()) {
              ++stats_.dropped_cancelled;
              dropped.emplace_back(std::move(t), absl::CancelledError("request cancelled before compute"));
            } else if (t->deadline() <= now) {
              ++stats_.dropped_deadline;
              dropped.emplace_back(std::move(t), absl::DeadlineExceededError("deadline passed while queued"));
            } else {
              batch.push_back(std::move(t));
            }
          }
        }
        if (!batch.empty()) {
          ++stats_.batches;
          if (on_idle) ++stats_.batches_on_idle;
          ++in_flight_;
        }
      }
      for (auto& [t, status] : dropped) t->Fail(status);
      if (!batch.empty()) {
        processor_(worker, std::move(batch));
        absl::MutexLock lock(&mu_);
        --in_flight_;
      }
    }
  }

  const BatcherOptions options_;
  Clock* const clock_;
  const Processor processor_;
  mutable absl::Mutex mu_;
  std::vector<std::deque<Entry>> queues_ ABSL_GUARDED_BY(mu_);
  int size_ ABSL_GUARDED_BY(mu_) = 0;
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;  // Σ bytes() of the waiting tasks
  int max_batch_size_ ABSL_GUARDED_BY(mu_);
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;  // batches inside processor_ now
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time drain_deadline_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  Stats stats_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> workers_;
};

}  // namespace lsms::batching

#endif  // LSMS_SERVER_BATCHING_DYNAMIC_BATCHER_H_
