#pragma once

#include <google/protobuf/duration.pb.h>
#include <google/protobuf/timestamp.pb.h>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace nanokit {

// Where code that decides by time reads it (Envoy's TimeSource): the real
// clock in the servers, a ManualClock in tests, which then drive time
// instead of sleeping.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
  // The process's real clock.
  static const Clock& Real();
};

// Moves only when told. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(absl::Time start = absl::FromUnixSeconds(1800000000)) : now_(start) {}
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration by) {
    absl::MutexLock lock(&mu_);
    now_ += by;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

// protobuf's TimeUtil::GetCurrentTime() has whole seconds only in this
// version; latency and "changed 300 ms ago" need better.
google::protobuf::Timestamp ToTimestamp(absl::Time time);
inline google::protobuf::Timestamp NowTimestamp() { return ToTimestamp(absl::Now()); }
// A non-negative duration, to the nanosecond.
google::protobuf::Duration ToDuration(absl::Duration duration);

}  // namespace nanokit
