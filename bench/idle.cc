#include "bench/idle.h"

#include <cstdio>

#include "absl/time/clock.h"
#include "bench/process_stats.h"
#include "bench/subscribers.h"
#include "common/file_limit.h"

namespace nanokit::bench {

int RunIdle(const IdleOptions& options) {
  // Both this tool and the server hold a descriptor per connection (the
  // server inherits this process's limit).
  const uint64_t limit = RaiseOpenFileLimit();
  constexpr uint64_t kSpareFiles = 128;
  uint64_t connections = options.connections;
  if (connections + kSpareFiles > limit) {
    connections = limit > 2 * kSpareFiles ? limit - kSpareFiles : 1;
    std::fprintf(stderr,
                 "nanokit-bench idle: the open-file limit is %llu (ulimit -Hn): %llu connections instead of %llu; "
                 "raise the hard limit (as root: ulimit -Hn %llu, or LimitNOFILE=) for more\n",
                 static_cast<unsigned long long>(limit), static_cast<unsigned long long>(connections),
                 static_cast<unsigned long long>(options.connections),
                 static_cast<unsigned long long>(options.connections + kSpareFiles));
  }
  auto target = Target::Start(options.server, options.target);
  if (!target.ok()) return ReportFailure(target.status());
  boost::asio::io_context ioc(1);
  Subscribers subscribers(target->get(), ioc);
  // One subscriber first: the project exists and the server is warm, so
  // what follows is the cost of the connections alone.
  if (auto status = subscribers.ConnectAll(1, absl::Seconds(30)); !status.ok()) return ReportFailure(status);
  subscribers.RunFor(absl::Milliseconds(500));
  const pid_t server = (*target)->server_pid();
  const ProcessStats before = ReadProcessStats(server);
  const absl::Time start = absl::Now();
  if (auto status = subscribers.ConnectAll(connections, absl::Seconds(300)); !status.ok()) {
    return ReportFailure(status);
  }
  const double connect_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  subscribers.RunFor(options.settle);  // handshakes' buffers freed, heartbeats going
  const ProcessStats after = ReadProcessStats(server);
  const double per_connection = (static_cast<double>(after.rss_bytes) - static_cast<double>(before.rss_bytes)) /
                                static_cast<double>(connections);
  // The server's work while nothing happens but the connections' upkeep.
  const double own_before = OwnCpuSeconds();
  const absl::Time measure_start = absl::Now();
  subscribers.RunFor(options.measure);
  const double seconds = absl::ToDoubleSeconds(absl::Now() - measure_start);
  const ProcessStats end = ReadProcessStats(server);
  const double idle_cpu = (end.cpu_seconds - after.cpu_seconds) / seconds;
  const double own_cpu = (OwnCpuSeconds() - own_before) / seconds;
  const uint64_t lost = subscribers.tally().closed;
  const std::string_view name = ServerKindName(options.server);
  std::printf("idle  server=%s connections=%llu\n", name.data(), static_cast<unsigned long long>(connections));
  std::printf("  connected and subscribed in %.2f s\n", connect_seconds);
  std::printf("  server RSS                 %.1f MiB -> %.1f MiB\n", Mib(before.rss_bytes), Mib(after.rss_bytes));
  std::printf("  per connection             %.2f KiB\n", per_connection / 1024);
  std::printf("  server CPU while idle      %.2f%% of one core (%.0f ns per connection per second)\n",
              idle_cpu * 100, idle_cpu * 1e9 / static_cast<double>(connections));
  std::printf("  load tool CPU              %.2f%% of one core\n", own_cpu * 100);
  if (lost > 0) std::printf("  connections lost           %llu\n", static_cast<unsigned long long>(lost));
  std::printf(
      "RESULT mode=idle server=%s connections=%llu requested=%llu rss_per_connection_kib=%.2f server_rss_mib=%.1f "
      "idle_cpu_percent=%.2f bench_cpu=%.2f lost=%llu\n",
      name.data(), static_cast<unsigned long long>(connections),
      static_cast<unsigned long long>(options.connections), per_connection / 1024, Mib(after.rss_bytes),
      idle_cpu * 100, own_cpu, static_cast<unsigned long long>(lost));
  return lost == 0 ? 0 : 1;
}

}  // namespace nanokit::bench
