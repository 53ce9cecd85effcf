#pragma once
// The C client's errors as absl::Status, one mapping for every caller.

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "nats/nats.h"

namespace nanokit::jetstream {

// what: the operation, for the message ("append to NANOKIT_P0").
// Timeouts, lost connections and "no responders" (a stream without a leader
// during an election) are UNAVAILABLE: the caller may retry them.
absl::Status ToStatus(natsStatus status, jsErrCode error, absl::string_view what);

}  // namespace nanokit::jetstream
