// Clock abstraction for the batcher, so tests drive time by hand.
// Thread-safe.
#ifndef LSMS_SERVER_BATCHING_CLOCK_H_
#define LSMS_SERVER_BATCHING_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace lsms::batching {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() = 0;
  // With `mu` held: blocks until `cond` holds or Now() >= deadline (returns
  // with `mu` held either way).
  virtual void AwaitUntil(absl::Mutex* mu, const absl::Condition& cond, absl::Time deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) = 0;

  // The process-wide real clock (never deleted).
  static Clock* Real();
};

}  // namespace lsms::batching

#endif  // LSMS_SERVER_BATCHING_CLOCK_H_
