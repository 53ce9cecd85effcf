#pragma once

#include <google/protobuf/duration.pb.h>
#include <google/protobuf/timestamp.pb.h>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace nanokit {

// protobuf's TimeUtil::GetCurrentTime() has whole seconds only in this
// version; latency and "changed 300 ms ago" need better.
google::protobuf::Timestamp ToTimestamp(absl::Time time);
inline google::protobuf::Timestamp NowTimestamp() { return ToTimestamp(absl::Now()); }
// A non-negative duration, to the nanosecond.
google::protobuf::Duration ToDuration(absl::Duration duration);

}  // namespace nanokit
