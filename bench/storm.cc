#include "bench/storm.h"

#include <cstdio>

#include "absl/time/clock.h"
#include "bench/fanout.h"
#include "bench/process_stats.h"
#include "bench/subscribers.h"
#include "common/file_limit.h"

namespace nanokit::bench {

int RunStorm(const StormOptions& options) {
  RaiseOpenFileLimit();
  auto target = Target::Start(ServerKind::kNanokit, options.target);
  if (!target.ok()) return ReportFailure(target.status());
  {
    // The project: one status per resource, all acknowledged.
    auto sink = (*target)->NewSink();
    if (!sink.ok()) return 1;
    for (uint64_t i = 0; i < options.resources; ++i) (*sink)->Publish(MakeEvent(2 * i + 1, options.resources, 0));
    if (!(*sink)->Flush(absl::Seconds(30))) {
      std::fprintf(stderr, "nanokit-bench: the hub did not acknowledge the project's statuses\n");
      return 1;
    }
  }
  boost::asio::io_context ioc(1);
  Subscribers subscribers(target->get(), ioc);
  if (auto status = subscribers.ConnectAll(options.clients, absl::Seconds(120)); !status.ok()) {
    return ReportFailure(status);
  }
  subscribers.set_reconnect(true);
  const absl::Time killed = absl::Now();
  (*target)->KillGateway();
  // Every client notices (and starts retrying) before the new gateway is up.
  for (const absl::Time deadline = absl::Now() + absl::Seconds(10);
       subscribers.subscribed() > 0 && absl::Now() < deadline;) {
    subscribers.RunFor(absl::Milliseconds(10));
  }
  const uint64_t noticed = subscribers.size() - subscribers.subscribed();
  if (auto status = (*target)->RestartGateway(); !status.ok()) return ReportFailure(status);
  const absl::Time restarted = absl::Now();
  const ProcessStats gateway_before = ReadProcessStats((*target)->server_pid());
  const bool all = subscribers.RunUntilAllSubscribed(absl::Seconds(60));
  const absl::Time done = absl::Now();
  const ProcessStats gateway_after = ReadProcessStats((*target)->server_pid());
  const double resync = absl::ToDoubleSeconds(done - restarted);
  std::printf("storm  clients=%llu resources=%llu\n", static_cast<unsigned long long>(options.clients),
              static_cast<unsigned long long>(options.resources));
  std::printf("  clients that saw the gateway go  %llu\n", static_cast<unsigned long long>(noticed));
  std::printf("  resynced (snapshot again)        %llu of %llu\n",
              static_cast<unsigned long long>(subscribers.subscribed()),
              static_cast<unsigned long long>(subscribers.size()));
  std::printf("  from restart to all resynced     %.2f s (%.2f s from the kill; clients retry every 50-150 ms)\n",
              resync, absl::ToDoubleSeconds(done - killed));
  std::printf("  gateway CPU in that time         %.2f s, peak RSS %.1f MiB\n",
              gateway_after.cpu_seconds - gateway_before.cpu_seconds, Mib(gateway_after.peak_rss_bytes));
  std::printf("RESULT mode=storm clients=%llu resources=%llu resync_s=%.3f all=%d gateway_peak_rss_mib=%.1f\n",
              static_cast<unsigned long long>(options.clients), static_cast<unsigned long long>(options.resources),
              resync, all ? 1 : 0, Mib(gateway_after.peak_rss_bytes));
  return all ? 0 : 1;
}

}  // namespace nanokit::bench
