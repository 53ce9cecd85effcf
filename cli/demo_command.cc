// A simulated core: a reconcile loop over a few services that move through
// PENDING -> DEPLOYING -> HEALTHY (sometimes FAILED), with log lines.

#include <atomic>
#include <csignal>
#include <iostream>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/hub_connection.h"
#include "common/address.h"
#include "common/log.h"
#include "common/signals.h"
#include "core_client/activity_manager.h"

namespace nanokit::cli {

namespace v1 = nanokit::bridge::v1;

namespace {

struct Service {
  const char* id;
  const char* kind;
  const char* image;
};

constexpr Service kServices[] = {
    {"web", "service", "nginx:1.25"},
    {"api", "service", "nanokit/api:2.3"},
    {"worker", "service", "nanokit/worker:2.3"},
    {"db", "container", "postgres:15"},
    {"cache", "container", "redis:7"},
};

}  // namespace

int RunDemo(int argc, char** argv) {
  HubConnectionFlags connection;
  absl::Duration interval = absl::Milliseconds(400);
  uint64_t loops = 0;
  std::string gateway = kDefaultGatewayAddress;
  FlagSet flags("nanokit demo", "[flags]");
  connection.Register(flags);
  flags.Duration("interval", &interval, "Pause between the steps of a reconcile.");
  flags.Uint64("loops", &loops, "Reconcile loops to run; 0 runs until SIGINT/SIGTERM.");
  flags.String("gateway", &gateway, "The gateway whose dashboard link to print on stdout; empty prints none.");
  flags.ParseOrExit(argc, argv, 2);
  log::SetComponent("demo");

  BlockStopSignals();
  std::atomic<bool> stop{false};
  std::thread signal_waiter([&stop] {
    WaitForStopSignal();
    stop = true;
  });
  signal_waiter.detach();

  client::ActivityManager activity(connection.project);
  client::HubPublisherOptions options = connection.PublisherOptionsOrExit("nanokit demo");
  const std::string token = options.token;
  client::HubPublisher publisher(std::move(options));
  publisher.Attach(&activity);
  if (!gateway.empty()) {
    // The link carries the token in its fragment, which a browser never
    // sends; it goes to stdout (the user's terminal), never to the log.
    std::cout << "Open the dashboard: http://" << gateway << "/#"
              << (token.empty() ? "" : absl::StrCat("token=", token, "&")) << "project="
              << connection.project << std::endl;
  }
  log::Info("demo core source=", publisher.source(), " publishing project=", connection.project, " to ",
            connection.hub);

  std::mt19937 rng(std::random_device{}());
  auto chance = [&rng](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
  auto pause = [&](double factor = 1.0) {
    absl::Time until = absl::Now() + interval * factor;
    while (!stop && absl::Now() < until) absl::SleepFor(std::min(absl::Milliseconds(20), until - absl::Now()));
    return !stop;
  };

  for (const Service& s : kServices) activity.SetStatus(s.id, v1::PENDING, "waiting for the first reconcile", s.kind);

  for (uint64_t loop = 1; !stop && (loops == 0 || loop <= loops); ++loop) {
    const std::string reconcile_id = absl::StrCat("r", loop);
    std::vector<v1::PlannedAction> actions;
    for (const Service& s : kServices) {
      v1::PlannedAction action;
      action.set_resource_id(s.id);
      action.set_action(loop == 1 ? "create" : "update");
      actions.push_back(action);
    }
    activity.BeginReconcile(reconcile_id, actions);
    bool failed = false;
    for (const Service& s : kServices) {
      if (stop) break;
      activity.SetStatus(s.id, v1::PENDING, "queued", s.kind);
      if (!pause(0.5)) break;
      activity.SetStatus(s.id, v1::DEPLOYING, absl::StrCat("pulling ", s.image), s.kind);
      activity.AppendLogs(s.id, {absl::StrCat("Pulling ", s.image), absl::StrCat("Starting ", s.id, " (", reconcile_id, ")")});
      if (!pause()) break;
      if (chance(0.1)) {
        failed = true;
        activity.AppendLogs(s.id, {"error: health check failed: connection refused"}, v1::LogStream::STDERR);
        activity.SetStatus(s.id, v1::FAILED, "health check failed", s.kind);
      } else {
        activity.AppendLogs(s.id, {absl::StrCat(s.id, " is ready")});
        activity.SetStatus(s.id, v1::HEALTHY, "running", s.kind);
      }
    }
    if (stop) {
      activity.EndReconcile(reconcile_id, v1::ReconcileEnd::CANCELLED, "stopped");
      break;
    }
    activity.EndReconcile(reconcile_id, failed ? v1::ReconcileEnd::FAILED : v1::ReconcileEnd::SUCCEEDED,
                          failed ? "some services failed their health check" : "all services healthy");
    if (!pause(3)) break;
  }
  if (!publisher.Flush(absl::Seconds(3))) log::Warn("exiting with events the hub has not acknowledged");
  return 0;
}

}  // namespace nanokit::cli
