#pragma once
// `nanokit-bench failover`: how long a dashboard is frozen when one of two
// hubs sharing a JetStream stream (3-node cluster, replicas 3), or the
// stream's leader, is killed under a steady flow of events. A core publishes
// an event every few milliseconds to both hubs' addresses; a gateway watches
// through both; one WebSocket client subscribes and notes when each event
// reaches it. The freeze is the longest gap between two events after the
// kill; whether the client had to take a snapshot is reported too.

#include <string>

#include "absl/time/time.h"

namespace nanokit::bench {

struct FailoverOptions {
  std::string hub_binary;
  std::string gateway_binary;
  std::string kill = "hub";  // "hub" (the one in use) or "nats-leader"
  absl::Duration interval = absl::Milliseconds(5);
  absl::Duration before = absl::Seconds(3);  // of flow before the kill
  absl::Duration after = absl::Seconds(20);  // and after it
};

int RunFailover(const FailoverOptions& options);

}  // namespace nanokit::bench
