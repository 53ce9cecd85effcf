#include "hub/hub_metrics.h"

namespace nanokit::hub {

void HubMetrics::Register(metrics::Registry& registry) const {
  registry.AddCounter("nanokit_hub_events_accepted_total", "Events committed into a project's history.",
                      &events_accepted);
  registry.AddCounter("nanokit_hub_events_duplicate_total",
                      "Events dropped as retries of ones already accepted (same source and source_seq).",
                      &events_duplicate);
  registry.AddCounter("nanokit_hub_events_noop_total", "Events dropped because they change nothing.", &events_noop);
  registry.AddCounter("nanokit_hub_commit_races_lost_total",
                      "Commits another hub sharing the store got in before (staged again on top of its entry).",
                      &commit_races_lost);
  registry.AddHistogram("nanokit_hub_commit_seconds", "Time of one group commit, store transaction included.",
                        &commit_seconds);
  registry.AddGauge("nanokit_hub_publish_streams", "Open publish streams (cores).", &publish_streams);
  registry.AddGauge("nanokit_hub_watchers", "Open watch streams (of projects and of the project list).", &watchers);
  registry.AddGauge("nanokit_hub_projects", "Projects the hub holds.", &projects);
  registry.AddCounter("nanokit_hub_auth_failures_total", "RPCs refused for their token, by reason.", "reason",
                      &auth_failures);
}

}  // namespace nanokit::hub
