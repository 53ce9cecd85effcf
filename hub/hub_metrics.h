#pragma once
// What the hub counts, under the names of docs/operating.md (dashboards and
// alerts rely on them). Counted always (a relaxed add each, per commit
// group rather than per event where it can); exposed when the hub is given
// --metrics-listen.

#include "metrics/counter.h"
#include "metrics/registry.h"

namespace nanokit::hub {

struct HubMetrics {
  // Per event of a publish: accepted into a history, dropped as a retry of
  // one already accepted (source, source_seq), or dropped because it changes
  // nothing (a status a resource already has).
  metrics::Counter events_accepted;
  metrics::Counter events_duplicate;
  metrics::Counter events_noop;
  // One group commit to the store, from the committer taking it to the
  // acknowledgements.
  // With a store shared by several hubs: commits another hub got in before,
  // staged again on top of its entry.
  metrics::Counter commit_races_lost;
  metrics::DurationHistogram commit_seconds{{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}};
  metrics::Gauge publish_streams;
  // Watch streams of projects and of the project list.
  metrics::Gauge watchers;
  metrics::Gauge projects;
  // By auth::FailureReason.
  metrics::LabeledCounter auth_failures;

  void Register(metrics::Registry& registry) const;
};

}  // namespace nanokit::hub
