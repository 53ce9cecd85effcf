#pragma once
// `nanokit-bench idle`: N subscribed connections doing nothing; the server's
// resident memory per connection (RSS after minus before, over N). Against
// our gateway or, with --server ws|nats, a peer.

#include <cstdint>

#include "bench/targets.h"

namespace nanokit::bench {

struct IdleOptions {
  ServerKind server = ServerKind::kNanokit;
  TargetOptions target;
  uint64_t connections = 10000;
};

// Prints a report ending in a `RESULT key=value…` line; the exit code.
int RunIdle(const IdleOptions& options);

}  // namespace nanokit::bench
