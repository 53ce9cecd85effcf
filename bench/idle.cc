#include "bench/idle.h"

#include <cstdio>

#include "absl/time/clock.h"
#include "bench/process_stats.h"
#include "bench/subscribers.h"

namespace nanokit::bench {

int RunIdle(const IdleOptions& options) {
  RaiseFileLimit();
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
  if (auto status = subscribers.ConnectAll(options.connections, absl::Seconds(120)); !status.ok()) {
    return ReportFailure(status);
  }
  const double connect_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  subscribers.RunFor(absl::Seconds(2));  // settled: handshakes' buffers freed
  const ProcessStats after = ReadProcessStats(server);
  const double per_connection = (static_cast<double>(after.rss_bytes) - static_cast<double>(before.rss_bytes)) /
                                static_cast<double>(options.connections);
  const std::string_view name = ServerKindName(options.server);
  std::printf("idle  server=%s connections=%llu\n", name.data(), static_cast<unsigned long long>(options.connections));
  std::printf("  connected and subscribed in %.2f s\n", connect_seconds);
  std::printf("  server RSS                 %.1f MiB -> %.1f MiB\n", Mib(before.rss_bytes), Mib(after.rss_bytes));
  std::printf("  per connection             %.2f KiB\n", per_connection / 1024);
  std::printf("RESULT mode=idle server=%s connections=%llu rss_per_connection_kib=%.2f server_rss_mib=%.1f\n",
              name.data(), static_cast<unsigned long long>(options.connections), per_connection / 1024,
              Mib(after.rss_bytes));
  return 0;
}

}  // namespace nanokit::bench
