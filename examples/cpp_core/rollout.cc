#include "examples/cpp_core/rollout.h"

#include "absl/strings/str_cat.h"

namespace example {

namespace v1 = nanokit::bridge::v1;

absl::Status RunRollout(nanokit::client::ActivityManager& activity, nanokit::client::Publisher& publisher,
                        const std::string& reconcile_id, const std::vector<ServicePlan>& plan,
                        absl::Duration flush_timeout) {
  std::vector<v1::PlannedAction> actions;
  for (const ServicePlan& service : plan) {
    v1::PlannedAction& action = actions.emplace_back();
    action.set_resource_id(service.id);
    action.set_action("update");
  }
  activity.BeginReconcile(reconcile_id, actions);

  int failed = 0;
  for (const ServicePlan& service : plan) {
    activity.SetStatus(service.id, v1::PENDING, "", service.kind);
    activity.SetStatus(service.id, v1::DEPLOYING, "rolling out", service.kind);
    if (service.healthy) {
      activity.SetStatus(service.id, v1::HEALTHY, "", service.kind);
      activity.AppendLogs(service.id, {absl::StrCat(service.id, " is up")});
    } else {
      ++failed;
      activity.SetStatus(service.id, v1::FAILED, "readiness probe failed", service.kind);
      activity.AppendLogs(service.id, {absl::StrCat(service.id, ": readiness probe failed")},
                          v1::LogStream::STDERR);
    }
  }
  activity.EndReconcile(reconcile_id, failed == 0 ? v1::ReconcileEnd::SUCCEEDED : v1::ReconcileEnd::FAILED,
                        failed == 0 ? "" : absl::StrCat(failed, " of ", plan.size(), " services failed"));

  if (!publisher.Flush(flush_timeout)) {
    return absl::UnavailableError(absl::StrCat("the hub did not acknowledge reconcile ", reconcile_id, " within ",
                                               absl::FormatDuration(flush_timeout)));
  }
  if (failed > 0) return absl::FailedPreconditionError(absl::StrCat(failed, " services failed"));
  return absl::OkStatus();
}

}  // namespace example
