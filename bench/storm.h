#pragma once
// `nanokit-bench storm`: N clients subscribed to a project of R resources;
// the gateway is killed (SIGKILL) and started again on the same port; how
// long until every client has its snapshot again.

#include <cstdint>

#include "bench/targets.h"

namespace nanokit::bench {

struct StormOptions {
  TargetOptions target;
  uint64_t clients = 10000;
  uint64_t resources = 1000;
};

// Prints a report ending in a `RESULT key=value…` line; the exit code.
int RunStorm(const StormOptions& options);

}  // namespace nanokit::bench
