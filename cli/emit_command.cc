#include <iostream>

#include "cli/commands.h"
#include "cli/hub_connection.h"
#include "core_client/activity_manager.h"
#include "protocol/names.h"
#include "protocol/proto_time.h"
#include "protocol/validate.h"

namespace nanokit::cli {

namespace v1 = nanokit::bridge::v1;

namespace {

constexpr const char* kUsage =
    "KIND [flags] [LINE...]\n"
    "\n"
    "KIND is one of:\n"
    "  status           --resource ID --status STATUS [--message TEXT] [--kind KIND]\n"
    "  remove           --resource ID            (the resource is gone)\n"
    "  log              --resource ID [--stderr] LINE...\n"
    "  reconcile-start  --id ID [--action RESOURCE=ACTION]...\n"
    "  reconcile-end    --id ID --outcome SUCCEEDED|FAILED|CANCELLED [--message TEXT]\n"
    "\n"
    "Exits 0 once the hub has acknowledged the event, 1 if it did not within --timeout.";

int Usage(const std::string& message) {
  std::cerr << "nanokit emit: " << message << std::endl;
  return 2;
}

}  // namespace

int RunEmit(int argc, char** argv) {
  HubConnectionFlags connection;
  std::string resource, status_name, message, kind = "service", reconcile_id, outcome_name;
  std::vector<std::string> actions;
  bool to_stderr = false;
  absl::Duration timeout = absl::Seconds(10);

  FlagSet flags("nanokit emit", kUsage);
  connection.Register(flags);
  flags.String("resource", &resource, "The resource (status, remove, log).");
  flags.String("status", &status_name, "PENDING, DEPLOYING, HEALTHY, FAILED, STOPPED or UNKNOWN (status).");
  flags.String("message", &message, "Message (status, reconcile-end).");
  flags.String("kind", &kind, "Kind of resource (status).");
  flags.Bool("stderr", &to_stderr, "The lines are standard error output (log).");
  flags.String("id", &reconcile_id, "Reconcile id (reconcile-start, reconcile-end).");
  flags.StringList("action", &actions, "Planned action RESOURCE=ACTION (reconcile-start).");
  flags.String("outcome", &outcome_name, "SUCCEEDED, FAILED or CANCELLED (reconcile-end).");
  flags.Duration("timeout", &timeout, "How long to wait for the hub's acknowledgement.");
  std::vector<std::string> args = flags.ParseOrExit(argc, argv, 2);
  if (args.empty()) return Usage("missing KIND (see nanokit emit --help)");
  const std::string what = args[0];
  args.erase(args.begin());

  v1::Event event;
  event.set_project(connection.project);
  if (what == "status" || what == "remove") {
    if (!protocol::IsValidResourceId(resource)) return Usage(std::string("--resource: ") + std::string(protocol::kResourceIdRule));
    v1::StatusUpdate* update = event.mutable_status_update();
    update->set_resource_id(resource);
    if (what == "remove") {
      update->set_removed(true);
    } else {
      v1::Status status;
      if (!v1::Status_Parse(status_name, &status)) {
        return Usage("--status: expected PENDING, DEPLOYING, HEALTHY, FAILED, STOPPED or UNKNOWN");
      }
      update->set_status(status);
      update->set_message(message);
      update->set_kind(kind);
    }
  } else if (what == "log") {
    if (!protocol::IsValidResourceId(resource)) return Usage(std::string("--resource: ") + std::string(protocol::kResourceIdRule));
    if (args.empty()) return Usage("log: give at least one LINE");
    v1::LogStream* logs = event.mutable_log_stream();
    logs->set_resource_id(resource);
    logs->set_stream(to_stderr ? v1::LogStream::STDERR : v1::LogStream::STDOUT);
    for (std::string& line : args) logs->add_lines(std::move(line));
    args.clear();
  } else if (what == "reconcile-start") {
    if (reconcile_id.empty()) return Usage("--id is required");
    event.mutable_reconcile_start()->set_reconcile_id(reconcile_id);
    for (const std::string& action : actions) {
      auto eq = action.find('=');
      if (eq == std::string::npos || eq == 0) return Usage("--action: expected RESOURCE=ACTION, got \"" + action + "\"");
      v1::PlannedAction* planned = event.mutable_reconcile_start()->add_actions();
      planned->set_resource_id(action.substr(0, eq));
      planned->set_action(action.substr(eq + 1));
    }
  } else if (what == "reconcile-end") {
    if (reconcile_id.empty()) return Usage("--id is required");
    v1::ReconcileEnd::Outcome outcome;
    if (!v1::ReconcileEnd::Outcome_Parse(outcome_name, &outcome) || outcome == v1::ReconcileEnd::OUTCOME_UNSPECIFIED) {
      return Usage("--outcome: expected SUCCEEDED, FAILED or CANCELLED");
    }
    event.mutable_reconcile_end()->set_reconcile_id(reconcile_id);
    event.mutable_reconcile_end()->set_outcome(outcome);
    event.mutable_reconcile_end()->set_message(message);
  } else {
    return Usage("unknown KIND \"" + what + "\" (status, remove, log, reconcile-start, reconcile-end)");
  }
  if (!args.empty()) return Usage("unexpected argument \"" + args[0] + "\"");
  if (auto status = ValidatePublishedEvent(event); !status.ok()) return Usage(std::string(status.message()));
  *event.mutable_emitted_at() = NowTimestamp();

  client::HubPublisher publisher(connection.PublisherOptionsOrExit("nanokit emit"));
  publisher.Publish(std::move(event));
  if (!publisher.Flush(timeout)) {
    std::cerr << "nanokit emit: the hub at " << connection.hub << " did not acknowledge within "
              << absl::FormatDuration(timeout) << std::endl;
    return 1;
  }
  return 0;
}

}  // namespace nanokit::cli
