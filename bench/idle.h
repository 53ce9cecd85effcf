#pragma once
// `nanokit-bench idle`: N subscribed connections doing nothing; the server's
// resident memory per connection (RSS after minus before, over N), and the
// CPU it spends on them while they idle (heartbeats, timers, pings). Against
// our gateway or, with --server ws|nats, a peer. N is capped by the open-file
// limit (each side needs a descriptor per connection), and says so.

#include <cstdint>

#include "absl/time/time.h"

#include "bench/targets.h"

namespace nanokit::bench {

struct IdleOptions {
  ServerKind server = ServerKind::kNanokit;
  TargetOptions target;
  uint64_t connections = 10000;
  // After connecting, before measuring: at least one heartbeat interval, so
  // that what heartbeats cost is in.
  absl::Duration settle = absl::Seconds(6);
  // How long the idle CPU is measured.
  absl::Duration measure = absl::Seconds(10);
};

// Prints a report ending in a `RESULT key=value…` line; the exit code.
int RunIdle(const IdleOptions& options);

}  // namespace nanokit::bench
