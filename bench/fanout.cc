#include "bench/fanout.h"

#include <atomic>
#include <cstdio>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/process_stats.h"
#include "bench/subscribers.h"
#include "common/file_limit.h"
#include "core_client/hub_publisher.h"
#include "protocol/proto_time.h"

namespace nanokit::bench {

namespace v1 = nanokit::bridge::v1;

namespace {

// Publishes `rate` events/s for `duration`, emittedAt set when published.
void Publish(EventSink* sink, const FanoutOptions& options, absl::Duration duration, std::atomic<uint64_t>* published) {
  const absl::Time start = absl::Now();
  uint64_t sent = 0;
  const uint64_t log_every = options.log_share > 0 ? static_cast<uint64_t>(1.0 / options.log_share) : 0;
  for (;;) {
    const absl::Duration elapsed = absl::Now() - start;
    if (elapsed >= duration) break;
    const uint64_t due = static_cast<uint64_t>(absl::ToDoubleSeconds(elapsed) * static_cast<double>(options.rate));
    for (; sent < due; ++sent) sink->Publish(MakeEvent(sent, options.resources, log_every, options.target.projects));
    published->store(sent);
    absl::SleepFor(absl::Milliseconds(1));
  }
}

}  // namespace

// The n-th event of a run: a status update, or (log_every-th) a log line.
v1::Event MakeEvent(uint64_t n, uint64_t resources, uint64_t log_every, uint64_t projects) {
  v1::Event event;
  event.set_project(BenchProject(n, projects));
  const std::string resource = absl::StrCat("svc-", n % resources);
  if (log_every != 0 && n % log_every == 0) {
    auto* logs = event.mutable_log_stream();
    logs->set_resource_id(resource);
    logs->add_lines(absl::StrCat("request ", n, " served in 3 ms by worker ", n % 16));
  } else {
    auto* update = event.mutable_status_update();
    update->set_resource_id(resource);
    update->set_kind("service");
    update->set_status(n % 2 ? v1::HEALTHY : v1::DEPLOYING);
    update->set_message(absl::StrCat("revision ", n));
  }
  *event.mutable_emitted_at() = ToTimestamp(absl::Now());
  return event;
}

int RunFanout(const FanoutOptions& options) {
  RaiseOpenFileLimit();
  auto target = Target::Start(options.server, options.target);
  if (!target.ok()) return ReportFailure(target.status());
  boost::asio::io_context ioc(1);
  Subscribers subscribers(target->get(), ioc);
  if (auto status = subscribers.ConnectAll(options.clients, absl::Seconds(60)); !status.ok()) {
    return ReportFailure(status);
  }
  auto sink = (*target)->NewSink();
  if (!sink.ok()) return ReportFailure(sink.status());
  std::atomic<uint64_t> published{0};
  // One second of warm-up (first batches, connections' buffers) before counting.
  const absl::Duration warmup = absl::Seconds(1);
  const absl::Duration duration = absl::Seconds(options.seconds);
  std::thread core([&] { Publish(sink->get(), options, warmup + duration, &published); });
  subscribers.RunFor(warmup);

  const pid_t server = (*target)->server_pid(), hub = (*target)->hub_pid();
  subscribers.set_measuring(true);
  const ProcessStats hub_before = ReadProcessStats(hub), server_before = ReadProcessStats(server);
  const double own_before = OwnCpuSeconds();
  const uint64_t published_before = published.load();
  const absl::Time measure_start = absl::Now();
  subscribers.RunFor(duration);
  const double seconds = absl::ToDoubleSeconds(absl::Now() - measure_start);
  subscribers.set_measuring(false);
  const uint64_t published_during = published.load() - published_before;
  const ProcessStats hub_after = ReadProcessStats(hub), server_after = ReadProcessStats(server);
  const double own_cpu = (OwnCpuSeconds() - own_before) / seconds;
  core.join();
  subscribers.CloseAll();

  Tally& tally = subscribers.tally();
  const double delivered = static_cast<double>(tally.events) / seconds;
  const double hub_cpu = hub ? (hub_after.cpu_seconds - hub_before.cpu_seconds) / seconds : 0;
  const double server_cpu = (server_after.cpu_seconds - server_before.cpu_seconds) / seconds;
  const double p50 = tally.latencies.PercentileMs(0.50), p99 = tally.latencies.PercentileMs(0.99),
               p999 = tally.latencies.PercentileMs(0.999);
  const std::string_view name = ServerKindName(options.server);
  std::printf("fanout  server=%s clients=%llu projects=%llu rate=%llu/s resources=%llu seconds=%.1f\n", name.data(),
              static_cast<unsigned long long>(options.clients),
              static_cast<unsigned long long>(options.target.projects), static_cast<unsigned long long>(options.rate),
              static_cast<unsigned long long>(options.resources), seconds);
  std::printf("  published events/s       %12.0f\n", static_cast<double>(published_during) / seconds);
  std::printf("  delivered events/s       %12.0f   (in %llu messages; the rest conflated or late)\n", delivered,
              static_cast<unsigned long long>(tally.messages));
  if (tally.closed > 0) {
    std::printf("  connections lost         %12llu   (last close code %u)\n",
                static_cast<unsigned long long>(tally.closed), tally.last_close_code);
  }
  std::printf("  end-to-end p50/p99/p99.9 %9.2f / %.2f / %.2f ms (oldest event of each message)\n", p50, p99, p999);
  const std::string server_name = options.server == ServerKind::kNanokit ? "gateway" : std::string(name);
  // What each delivery costs the server: the number that says whether
  // fan-out scales (flat as clients grow).
  const double ns_per_delivery = delivered > 0 ? server_cpu * 1e9 / delivered : 0;
  std::printf("  %-24s %11.0f ns per delivered event\n", (server_name + " CPU").c_str(), ns_per_delivery);
  std::printf("  %-24s %11.0f%% of one core, peak RSS %.1f MiB\n", (server_name + " CPU").c_str(), server_cpu * 100,
              Mib(server_after.peak_rss_bytes));
  if (hub) {
    std::printf("  hub CPU                  %11.0f%% of one core, peak RSS %.1f MiB\n", hub_cpu * 100,
                Mib(hub_after.peak_rss_bytes));
  }
  std::printf("  clients + core CPU       %11.0f%% of one core (clients on one thread)\n", own_cpu * 100);
  const bool keeping_up = delivered >= 0.95 * static_cast<double>(options.clients * options.rate) && p99 < 50;
  const char* bound = keeping_up                                                  ? "nothing (the offered rate)"
                      : own_cpu >= 0.9                                            ? "the load tool's client thread"
                      : server_cpu >= 0.9 && server_cpu + hub_cpu + own_cpu < 1.8 ? "the server's CPU"
                      : server_cpu + hub_cpu + own_cpu >= 1.8                     ? "CPU: the machine is saturated"
                                                                                  : "the server (not its CPU)";
  std::printf("  bound by                 %s\n", bound);
  std::printf(
      "RESULT mode=fanout server=%s clients=%llu projects=%llu rate=%llu delivered_per_s=%.0f p50_ms=%.3f "
      "p99_ms=%.3f p999_ms=%.3f server_cpu=%.2f server_ns_per_delivery=%.0f hub_cpu=%.2f bench_cpu=%.2f "
      "server_peak_rss_mib=%.1f lost=%llu\n",
      name.data(), static_cast<unsigned long long>(options.clients),
      static_cast<unsigned long long>(options.target.projects), static_cast<unsigned long long>(options.rate),
      delivered, p50, p99, p999, server_cpu, ns_per_delivery, hub_cpu, own_cpu, Mib(server_after.peak_rss_bytes),
      static_cast<unsigned long long>(tally.closed));
  return tally.events > 0 ? 0 : 1;
}

}  // namespace nanokit::bench
