#pragma once
// What the gateway counts, under the names of docs/operating.md (dashboards
// and alerts rely on them). Counted always, from the shards' threads
// without a lock (metrics/counter.h); exposed when the gateway is given
// --metrics-listen. No label per project or connection: their number is
// the users' to choose, a scrape's size must not be.

#include <functional>

#include "metrics/counter.h"
#include "metrics/registry.h"

namespace nanokit::gateway {

struct GatewayMetrics {
  metrics::Gauge connections;    // open WebSockets
  metrics::Gauge subscriptions;  // of connections to projects
  // Counted when a write completes: messages (each of a batch), bytes on
  // the wire (frame payloads).
  metrics::Counter messages_sent;
  metrics::Counter bytes_sent;
  // By close code ("1000", "1001", "1006" for a connection that ended
  // without a close frame, "1013", "4401", ...): ours when we closed,
  // otherwise the dashboard's.
  metrics::LabeledCounter disconnects;
  metrics::Counter slow_consumer_closes;
  // What a subscribing (or resynced) connection was given first: "snapshot"
  // (the full state) or "resumed" (only what it missed).
  metrics::LabeledCounter resyncs;
  // From an event's emitted_at (the core's clock) to the completed write of
  // the frame that carries it to a connection, per frame and connection.
  metrics::DurationHistogram delivery_lag_seconds{
      {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}};
  // By auth::FailureReason: upgrades and "auth" messages refused.
  metrics::LabeledCounter auth_failures;
  // TCP accepts that failed (out of descriptors, most often).
  metrics::Counter accept_failures;

  // hub_connected is read when scraped.
  void Register(metrics::Registry& registry, std::function<bool()> hub_connected) const;
};

}  // namespace nanokit::gateway
