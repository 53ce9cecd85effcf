#pragma once
// An example of a core's own code that emits events: one reconcile over a
// list of services. It speaks to the hub only through the Publisher
// interface, so its unit test (rollout_test.cc) runs with a MockPublisher
// and no hub.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core_client/activity_manager.h"
#include "core_client/publisher.h"

namespace example {

struct ServicePlan {
  std::string id;
  std::string kind = "service";
  // What the (simulated) deployment of this service ends in.
  bool healthy = true;
};

// reconcile_start, then for each service PENDING, DEPLOYING and HEALTHY or
// FAILED (with a log line), then reconcile_end; and waits until the hub has
// acknowledged all of it, so that a CI job that ends here leaves a true
// dashboard behind. UNAVAILABLE when the hub did not acknowledge in time;
// FAILED_PRECONDITION (after everything was published) when a service
// failed.
absl::Status RunRollout(nanokit::client::ActivityManager& activity, nanokit::client::Publisher& publisher,
                        const std::string& reconcile_id, const std::vector<ServicePlan>& plan,
                        absl::Duration flush_timeout);

}  // namespace example
