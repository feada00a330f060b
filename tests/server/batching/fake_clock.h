// A manually advanced Clock for deterministic batcher tests (no sleeps).
#ifndef LSMS_TESTS_SERVER_BATCHING_FAKE_CLOCK_H_
#define LSMS_TESTS_SERVER_BATCHING_FAKE_CLOCK_H_

#include <set>

#include "server/batching/clock.h"

namespace lsms::batching {

class FakeClock final : public Clock {
 public:
  absl::Time Now() override {
    absl::MutexLock l(&mu_);
    return now_;
  }

  void AwaitUntil(absl::Mutex* mu, const absl::Condition& cond, absl::Time deadline) override
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    {
      absl::MutexLock l(&mu_);
      waiters_.insert(mu);
      ++waiting_;
    }
    struct Arg {
      FakeClock* clock;
      const absl::Condition* cond;
      absl::Time deadline;
    } arg{this, &cond, deadline};
    mu->Await(absl::Condition(
        +[](Arg* a) { return a->cond->Eval() || a->clock->Now() >= a->deadline; }, &arg));
    absl::MutexLock l(&mu_);
    waiters_.erase(mu);
    --waiting_;
  }

  // Moves time forward and wakes every waiter so it re-checks its condition.
  void Advance(absl::Duration d) {
    std::set<absl::Mutex*> waiters;
    {
      absl::MutexLock l(&mu_);
      now_ += d;
      waiters = waiters_;
    }
    for (absl::Mutex* m : waiters) {
      m->Lock();
      m->Unlock();  // releasing re-evaluates the waiters' conditions
    }
  }

  // Blocks until `n` threads wait in AwaitUntil.
  void BlockUntilWaiting(int n) {
    std::pair<FakeClock*, int> arg{this, n};
    absl::MutexLock l(&mu_);
    mu_.Await(absl::Condition(
        +[](std::pair<FakeClock*, int>* a) ABSL_NO_THREAD_SAFETY_ANALYSIS { return a->first->waiting_ >= a->second; },
        &arg));
  }

 private:
  absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_) = absl::UnixEpoch();
  std::set<absl::Mutex*> waiters_ ABSL_GUARDED_BY(mu_);
  int waiting_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace lsms::batching

#endif  // LSMS_TESTS_SERVER_BATCHING_FAKE_CLOCK_H_
