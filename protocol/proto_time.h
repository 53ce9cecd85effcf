#pragma once
// Time as the protocol carries it: google.protobuf.Timestamp and Duration,
// to the nanosecond.

#include <google/protobuf/duration.pb.h>
#include <google/protobuf/timestamp.pb.h>

#include "absl/time/time.h"
#include "common/clock.h"

namespace nanokit {

// protobuf's TimeUtil::GetCurrentTime() has whole seconds only in this
// version; latency and "changed 300 ms ago" need better.
google::protobuf::Timestamp ToTimestamp(absl::Time time);
inline google::protobuf::Timestamp NowTimestamp(const Clock& clock = Clock::Real()) {
  return ToTimestamp(clock.Now());
}
absl::Time FromTimestamp(const google::protobuf::Timestamp& timestamp);
// A non-negative duration, to the nanosecond.
google::protobuf::Duration ToDuration(absl::Duration duration);

}  // namespace nanokit
