#pragma once
// When a connection's write has taken too long. A browser that stops reading
// (a frozen tab, a dead link whose TCP has not noticed) leaves the write in
// flight forever and the queue behind it growing; the session asks at each
// heartbeat tick and closes the connection (1013) so that the dashboard
// reconnects and resumes. Time comes from the injected Clock. Not
// thread-safe: one connection's thread.

#include <optional>

#include "absl/time/time.h"
#include "common/clock.h"

namespace nanokit::gateway {

class WriteWatchdog {
 public:
  WriteWatchdog(absl::Duration timeout, const Clock& clock) : timeout_(timeout), clock_(clock) {}

  void WriteStarted() { started_ = clock_.Now(); }
  void WriteFinished() { started_ = absl::InfiniteFuture(); }

  // How long the write in flight has taken, when that is more than the
  // timeout; nothing while no write is in flight or it is within time.
  std::optional<absl::Duration> Overdue() const {
    if (started_ == absl::InfiniteFuture()) return std::nullopt;
    const absl::Duration taken = clock_.Now() - started_;
    if (taken <= timeout_) return std::nullopt;
    return taken;
  }

 private:
  const absl::Duration timeout_;
  const Clock& clock_;
  // InfiniteFuture while no write is in flight (a connection keeps one of
  // these: no optional's flag).
  absl::Time started_ = absl::InfiniteFuture();
};

}  // namespace nanokit::gateway
