#pragma once
// `nanokit-bench fanout`: K WebSocket clients subscribed to one project (or
// spread evenly over --projects P, the events too) on a gateway (or, for comparison, on a peer: --server ws|nats), a core
// publishing status updates and log lines at a fixed rate across many
// resources. Delivered events/s (each event reaching each client, alone or
// inside a batch), end-to-end latency from the core's emittedAt to the
// client's receipt, CPU and peak RSS of the servers.

#include <cstdint>
#include <string>

#include "bench/targets.h"
#include "nanokit/bridge/v1/events.pb.h"

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

// The n-th event of the load: a status update of resource n % resources,
// or every log_every-th a log line, in project BenchProject(n, projects);
// emittedAt is now.
bridge::v1::Event MakeEvent(uint64_t n, uint64_t resources, uint64_t log_every, uint64_t projects = 1);

// Prints a report ending in a `RESULT key=value…` line; the exit code.
int RunFanout(const FanoutOptions& options);

}  // namespace nanokit::bench
