#pragma once
// CPU time and memory of a process, read from /proc: how a benchmark says
// which process was the bottleneck.

#include <sys/types.h>

#include <cstdint>

namespace nanokit::bench {

struct ProcessStats {
  double cpu_seconds = 0;       // user + system
  uint64_t rss_bytes = 0;       // resident now
  uint64_t peak_rss_bytes = 0;  // VmHWM
};

// Zeroes if the process is gone.
ProcessStats ReadProcessStats(pid_t pid);

// CPU seconds (user + system) this process has used so far.
double OwnCpuSeconds();

double Mib(uint64_t bytes);

}  // namespace nanokit::bench
