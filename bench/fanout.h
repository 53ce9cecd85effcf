#pragma once
// `nanokit-bench fanout`: K WebSocket clients subscribed to one project on a
// gateway (or, for comparison, on a peer: --server ws|nats), a core
// publishing status updates and log lines at a fixed rate across many
// resources. Delivered events/s (each event reaching each client, alone or
// inside a batch), end-to-end latency from the core's emittedAt to the
// client's receipt, CPU and peak RSS of the servers.
//
// `nanokit-bench idle`: N subscribed connections doing nothing; the server's
// resident memory per connection.
//
// `nanokit-bench storm`: N subscribed clients, the gateway killed and
// started again; how long until every client has its snapshot again.

#include <cstdint>
#include <string>

#include "bench/targets.h"

namespace nanokit::bench {

struct FanoutOptions {
  ServerKind server = ServerKind::kNanokit;
  TargetOptions target;
  uint64_t clients = 100;
  uint64_t rate = 1000;  // events/s published
  uint64_t resources = 1000;
  double log_share = 0.2;  // of the events, log lines; the rest status updates
  double seconds = 10;
};

struct IdleOptions {
  ServerKind server = ServerKind::kNanokit;
  TargetOptions target;
  uint64_t connections = 10000;
};

struct StormOptions {
  TargetOptions target;
  uint64_t clients = 10000;
  uint64_t resources = 1000;
};

// Each prints a report ending in a `RESULT key=value…` line; the exit code.
int RunFanout(const FanoutOptions& options);
int RunIdle(const IdleOptions& options);
int RunStorm(const StormOptions& options);

}  // namespace nanokit::bench
