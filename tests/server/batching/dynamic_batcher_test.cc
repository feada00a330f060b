#include "server/batching/dynamic_batcher.h"

#include <algorithm>
#include <atomic>

#include <gtest/gtest.h>

#include "absl/synchronization/notification.h"
#include "tests/server/batching/fake_clock.h"

namespace lsms::batching {
namespace {

struct FakeTask {
  int id = 0;
  int prio = 0;
  absl::Time deadline_at = absl::InfiniteFuture();
  std::atomic<bool> cancel{false};
  absl::Status* failed_with = nullptr;  // owned by the test

  absl::Time deadline() const { return deadline_at; }
  bool cancelled() const { return cancel.load(); }
  int priority() const { return prio; }
  size_t bytes() const { return size_bytes; }
  void Fail(const absl::Status& s) { *failed_with = s; }
  size_t size_bytes = 0;
};

// A puppet processor: records every batch and, once Hold() was called, keeps
// each batch "computing" until Release().
class Puppet {
 public:
  void Process(int /*worker*/, DynamicBatcher<FakeTask>::Batch batch) {
    std::vector<int> ids;
    for (auto& t : batch) ids.push_back(t->id);
    absl::MutexLock l(&mu_);
    batches_.push_back(ids);
    auto released = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return !hold_; };
    mu_.Await(absl::Condition(&released));
  }
  void Hold() {
    absl::MutexLock l(&mu_);
    hold_ = true;
  }
  void Release() {
    absl::MutexLock l(&mu_);
    hold_ = false;
  }
  std::vector<std::vector<int>> batches() {
    absl::MutexLock l(&mu_);
    return batches_;
  }
  void WaitForBatches(size_t n) {
    absl::MutexLock l(&mu_);
    auto enough = [this, n]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return batches_.size() >= n; };
    mu_.Await(absl::Condition(&enough));
  }

 private:
  absl::Mutex mu_;
  std::vector<std::vector<int>> batches_ ABSL_GUARDED_BY(mu_);
  bool hold_ ABSL_GUARDED_BY(mu_) = false;
};

// The delay, deadline, priority and drain tests turn dispatch_when_idle off so
// that a lone task waits for the delay; the idle tests turn it on.
class DynamicBatcherTest : public testing::Test {
 protected:
  std::unique_ptr<DynamicBatcher<FakeTask>> Make(int max_batch, absl::Duration delay, int queue = 100,
                                                 int priorities = 1, bool idle = false, int workers = 1) {
    BatcherOptions o;
    o.max_batch_size = max_batch;
    o.max_queue_delay = delay;
    o.max_queue_size = queue;
    o.num_priorities = priorities;
    o.dispatch_when_idle = idle;
    o.num_workers = workers;
    o.clock = &clock_;
    return *DynamicBatcher<FakeTask>::Create(
        o, [this](int w, DynamicBatcher<FakeTask>::Batch b) { puppet_.Process(w, std::move(b)); });
  }
  absl::Status Add(DynamicBatcher<FakeTask>* b, int id, int prio = 0,
                   absl::Time deadline = absl::InfiniteFuture()) {
    auto t = std::make_unique<FakeTask>();
    t->id = id;
    t->prio = prio;
    t->deadline_at = deadline;
    t->failed_with = &failures_[id];
    return b->Schedule(&t);
  }

  FakeClock clock_;
  Puppet puppet_;
  std::map<int, absl::Status> failures_;
};

TEST_F(DynamicBatcherTest, FullBatchIsReleasedWithoutWaitingForTheDelay) {
  auto b = Make(3, absl::Seconds(100));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Add(b.get(), i).ok());
  puppet_.WaitForBatches(1);
  EXPECT_EQ(puppet_.batches()[0], (std::vector<int>{0, 1, 2}));
}

TEST_F(DynamicBatcherTest, PartialBatchWaitsForTheDelayOfTheOldestTask) {
  auto b = Make(8, absl::Milliseconds(10));
  ASSERT_TRUE(Add(b.get(), 1).ok());
  clock_.BlockUntilWaiting(1);
  clock_.Advance(absl::Milliseconds(6));
  ASSERT_TRUE(Add(b.get(), 2).ok());  // newer task does not reset the delay
  clock_.BlockUntilWaiting(1);
  EXPECT_TRUE(puppet_.batches().empty());
  clock_.Advance(absl::Milliseconds(4));  // oldest has now waited 10 ms
  puppet_.WaitForBatches(1);
  EXPECT_EQ(puppet_.batches()[0], (std::vector<int>{1, 2}));
}

TEST_F(DynamicBatcherTest, FullQueueRejectsAtOnceWithResourceExhausted) {
  auto b = Make(8, absl::Seconds(100), /*queue=*/2);
  ASSERT_TRUE(Add(b.get(), 1).ok());
  ASSERT_TRUE(Add(b.get(), 2).ok());
  absl::Status s = Add(b.get(), 3);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(b->stats().rejected_full, 1);
}

TEST_F(DynamicBatcherTest, ExpiredTasksAreDroppedBeforeCompute) {
  auto b = Make(8, absl::Milliseconds(10));
  const absl::Time t0 = clock_.Now();
  ASSERT_TRUE(Add(b.get(), 1, 0, t0 + absl::Milliseconds(5)).ok());
  ASSERT_TRUE(Add(b.get(), 2, 0, t0 + absl::Seconds(5)).ok());
  clock_.BlockUntilWaiting(1);
  clock_.Advance(absl::Milliseconds(10));
  puppet_.WaitForBatches(1);
  EXPECT_EQ(puppet_.batches()[0], (std::vector<int>{2}));
  EXPECT_EQ(failures_[1].code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(failures_[2].ok());
}

TEST_F(DynamicBatcherTest, CancelledTasksAreDroppedBeforeCompute) {
  auto b = Make(8, absl::Milliseconds(10));
  auto t = std::make_unique<FakeTask>();
  t->id = 7;
  t->failed_with = &failures_[7];
  FakeTask* raw = t.get();
  ASSERT_TRUE(b->Schedule(&t).ok());
  ASSERT_TRUE(Add(b.get(), 8).ok());
  raw->cancel = true;
  clock_.BlockUntilWaiting(1);
  clock_.Advance(absl::Milliseconds(10));
  puppet_.WaitForBatches(1);
  EXPECT_EQ(puppet_.batches()[0], (std::vector<int>{8}));
  EXPECT_EQ(failures_[7].code(), absl::StatusCode::kCancelled);
}

TEST_F(DynamicBatcherTest, HigherPriorityIsServedFirst) {
  auto b = Make(2, absl::Seconds(100), 100, /*priorities=*/2);
  // Hold the worker in the delay wait while all four are queued.
  ASSERT_TRUE(Add(b.get(), 1, 1).ok());
  clock_.BlockUntilWaiting(1);
  // Adding the second fills a batch; keep max batch 2 by adding lows first.
  b->SetMaxBatchSize(8);
  ASSERT_TRUE(Add(b.get(), 2, 1).ok());
  ASSERT_TRUE(Add(b.get(), 3, 0).ok());
  ASSERT_TRUE(Add(b.get(), 4, 0).ok());
  b->SetMaxBatchSize(2);
  clock_.Advance(absl::Seconds(100));
  puppet_.WaitForBatches(2);
  EXPECT_EQ(puppet_.batches()[0], (std::vector<int>{3, 4}));
  EXPECT_EQ(puppet_.batches()[1], (std::vector<int>{1, 2}));
}

TEST_F(DynamicBatcherTest, ShutdownFlushesQueuedTasksAndRejectsNewOnes) {
  auto b = Make(2, absl::Seconds(100));
  ASSERT_TRUE(Add(b.get(), 1).ok());
  ASSERT_TRUE(Add(b.get(), 2).ok());
  ASSERT_TRUE(Add(b.get(), 3).ok());
  b->Shutdown();  // no clock advance: the flush does not wait for the delay
  std::vector<int> seen;
  for (const auto& batch : puppet_.batches()) seen.insert(seen.end(), batch.begin(), batch.end());
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(Add(b.get(), 4).code(), absl::StatusCode::kUnavailable);
}

TEST_F(DynamicBatcherTest, ShutdownDrainsOnlyUntilItsDeadlineAndFailsTheRestUnavailable) {
  // Each batch of 2 takes 1 s of (fake) compute; the drain has 2.5 s: the
  // batches that start before the deadline run (3, the last finishing at
  // 3 s), the 4 tasks still queued then fail UNAVAILABLE. Every task gets
  // exactly one outcome.
  BatcherOptions o;
  o.max_batch_size = 2;
  o.max_queue_delay = absl::Seconds(100);
  o.dispatch_when_idle = false;
  o.clock = &clock_;
  std::vector<int> processed;
  absl::Mutex mu;
  auto b = *DynamicBatcher<FakeTask>::Create(o, [&](int, DynamicBatcher<FakeTask>::Batch batch) {
    {
      absl::MutexLock l(&mu);
      for (auto& t : batch) processed.push_back(t->id);
    }
    clock_.Advance(absl::Seconds(1));
  });
  for (int id = 1; id <= 10; ++id) ASSERT_TRUE(Add(b.get(), id).ok());
  b->Shutdown(clock_.Now() + absl::Milliseconds(2500));
  std::sort(processed.begin(), processed.end());
  EXPECT_EQ(processed, (std::vector<int>{1, 2, 3, 4, 5, 6}));
  for (int id = 1; id <= 10; ++id) {
    if (id <= 6) {
      EXPECT_TRUE(failures_[id].ok()) << id;  // processed, never failed
    } else {
      EXPECT_EQ(failures_[id].code(), absl::StatusCode::kUnavailable) << id;
    }
  }
  EXPECT_EQ(b->stats().dropped_shutdown, 4);
}

TEST_F(DynamicBatcherTest, TheQueueIsBoundedInBytesToo) {
  // Budget 100 bytes: 40 + 40 wait; 40 more would make 120 → refused, while a
  // 20-byte task still fits. A task larger than the budget is taken when the
  // queue is empty (it could never be served otherwise).
  BatcherOptions o;
  o.max_batch_size = 8;
  o.max_queue_delay = absl::Seconds(100);
  o.max_queue_bytes = 100;
  o.dispatch_when_idle = false;
  o.clock = &clock_;
  auto b = *DynamicBatcher<FakeTask>::Create(
      o, [this](int w, DynamicBatcher<FakeTask>::Batch batch) { puppet_.Process(w, std::move(batch)); });
  auto add = [&](int id, size_t bytes) {
    auto t = std::make_unique<FakeTask>();
    t->id = id;
    t->size_bytes = bytes;
    t->failed_with = &failures_[id];
    return b->Schedule(&t);
  };
  EXPECT_TRUE(add(1, 40).ok());
  EXPECT_TRUE(add(2, 40).ok());
  EXPECT_EQ(b->queue_bytes(), 80u);
  const absl::Status full = add(3, 40);
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(full.message().find("80 bytes of 100"), std::string::npos) << full;
  EXPECT_TRUE(add(4, 20).ok());
  EXPECT_EQ(b->stats().rejected_bytes, 1);
  clock_.Advance(absl::Seconds(100));  // the batch forms; the queue empties
  puppet_.WaitForBatches(1);
  EXPECT_EQ(b->queue_bytes(), 0u);
  EXPECT_TRUE(add(5, 500).ok());  // alone, over the budget: still taken
  EXPECT_FALSE(add(6, 1).ok());
}

TEST_F(DynamicBatcherTest, ALoneTaskOnAnIdleModelRunsAtOnce) {
  // No batch is running: the task is released with the clock standing still,
  // 100 s of delay notwithstanding.
  auto b = Make(8, absl::Seconds(100), 100, 1, /*idle=*/true);
  ASSERT_TRUE(Add(b.get(), 1).ok());
  puppet_.WaitForBatches(1);
  EXPECT_EQ(puppet_.batches()[0], (std::vector<int>{1}));
  EXPECT_EQ(b->stats().batches_on_idle, 1);
}

TEST_F(DynamicBatcherTest, WhatQueuedBehindABusyModelIsTakenTheMomentItIsFree) {
  // One worker: while batch {1} computes, 2 and 3 queue; when it returns they
  // go together at once (the clock never moves), up to the batch cap.
  auto b = Make(2, absl::Seconds(100), 100, 1, /*idle=*/true);
  puppet_.Hold();
  ASSERT_TRUE(Add(b.get(), 1).ok());
  puppet_.WaitForBatches(1);
  for (int id = 2; id <= 4; ++id) ASSERT_TRUE(Add(b.get(), id).ok());
  EXPECT_EQ(b->queue_size(), 3);
  puppet_.Release();
  puppet_.WaitForBatches(3);
  EXPECT_EQ(puppet_.batches()[1], (std::vector<int>{2, 3}));  // full: released without the idle rule
  EXPECT_EQ(puppet_.batches()[2], (std::vector<int>{4}));     // alone, model idle again
  EXPECT_EQ(b->stats().batches_on_idle, 2);
}

TEST_F(DynamicBatcherTest, ASecondWorkerWaitsForTheDelayWhileTheFirstComputes) {
  // Two workers: worker A runs {1}; 2 arrives while A is busy, so the free
  // worker B lets a batch form for the delay (measured from 2's enqueue) and
  // 3 joins it. Only then is {2, 3} released.
  auto b = Make(8, absl::Milliseconds(10), 100, 1, /*idle=*/true, /*workers=*/2);
  puppet_.Hold();
  ASSERT_TRUE(Add(b.get(), 1).ok());
  puppet_.WaitForBatches(1);
  ASSERT_TRUE(Add(b.get(), 2).ok());
  clock_.BlockUntilWaiting(1);
  clock_.Advance(absl::Milliseconds(6));
  ASSERT_TRUE(Add(b.get(), 3).ok());
  clock_.BlockUntilWaiting(1);
  EXPECT_EQ(puppet_.batches().size(), 1u);
  clock_.Advance(absl::Milliseconds(4));
  puppet_.WaitForBatches(2);
  EXPECT_EQ(puppet_.batches()[1], (std::vector<int>{2, 3}));
  EXPECT_EQ(b->stats().batches_on_idle, 1);  // only {1}
  puppet_.Release();
}

TEST_F(DynamicBatcherTest, AFormingBatchIsReleasedWhenTheBusyWorkerFinishes) {
  // As above, but A finishes before the delay is up: the model is idle, so
  // the waiting {2} goes at once.
  auto b = Make(8, absl::Seconds(100), 100, 1, /*idle=*/true, /*workers=*/2);
  puppet_.Hold();
  ASSERT_TRUE(Add(b.get(), 1).ok());
  puppet_.WaitForBatches(1);
  ASSERT_TRUE(Add(b.get(), 2).ok());
  clock_.BlockUntilWaiting(1);
  EXPECT_EQ(puppet_.batches().size(), 1u);
  puppet_.Release();
  puppet_.WaitForBatches(2);
  EXPECT_EQ(puppet_.batches()[1], (std::vector<int>{2}));
  EXPECT_EQ(b->stats().batches_on_idle, 2);
}

TEST_F(DynamicBatcherTest, RejectsInvalidOptions) {
  BatcherOptions o;
  o.max_batch_size = 0;
  EXPECT_FALSE(DynamicBatcher<FakeTask>::Create(o, [](int, DynamicBatcher<FakeTask>::Batch) {}).ok());
}

}  // namespace
}  // namespace lsms::batching
