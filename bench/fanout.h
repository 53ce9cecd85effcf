#pragma once
// `nanokit-bench fanout`: K WebSocket clients subscribed to one project on a
// gateway, a core publishing status updates and log lines at a fixed rate
// across many resources. Delivered events/s (each event reaching each
// client, alone or inside a batch), end-to-end latency from the core's
// emittedAt to the client's receipt, CPU and peak RSS of hub and gateway.

#include <cstdint>
#include <string>

namespace nanokit::bench {

struct FanoutOptions {
  std::string hub_binary;
  std::string gateway_binary;
  uint64_t clients = 100;
  uint64_t rate = 1000;  // events/s published
  uint64_t resources = 1000;
  double log_share = 0.2;  // of the events, log lines; the rest status updates
  double seconds = 10;
  int gateway_threads = 2;
};

int RunFanout(const FanoutOptions& options);

}  // namespace nanokit::bench
