#pragma once
// When a connection's write has taken too long. A browser that stops reading
// (a frozen tab, a dead link whose TCP has not noticed) leaves the write in
// flight forever and the queue behind it growing; the session asks at each
// visit of its shard's ticker and closes the connection (1013) so that the
// dashboard reconnects and resumes. The time is given by the caller (the
// injected Clock), and so is the timeout: a connection keeps only when its
// write began. Not thread-safe: one connection's thread.

#include <optional>

#include "absl/time/time.h"

namespace nanokit::gateway {

class WriteWatchdog {
 public:
  void WriteStarted(absl::Time now) { started_ = now; }
  void WriteFinished() { started_ = absl::InfiniteFuture(); }

  // How long the write in flight has taken, when that is more than the
  // timeout; nothing while no write is in flight or it is within time.
  std::optional<absl::Duration> Overdue(absl::Time now, absl::Duration timeout) const {
    if (started_ == absl::InfiniteFuture()) return std::nullopt;
    const absl::Duration taken = now - started_;
    if (taken <= timeout) return std::nullopt;
    return taken;
  }

 private:
  // InfiniteFuture while no write is in flight (no optional's flag).
  absl::Time started_ = absl::InfiniteFuture();
};

}  // namespace nanokit::gateway
