#include "bench/ingest.h"

#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/latency.h"
#include "bench/process_stats.h"
#include "bench/servers.h"
#include "bench/targets.h"
#include "core_client/hub_publisher.h"
#include "jetstream/local_cluster.h"

namespace nanokit::bench {

namespace v1 = nanokit::bridge::v1;

namespace {

// A status update of about 150 bytes on the wire, as a core sends them.
v1::Event MakeEvent(uint64_t i, uint64_t resources, const std::string& resource_prefix) {
  v1::Event event;
  event.set_project("bench");
  auto* update = event.mutable_status_update();
  update->set_resource_id(absl::StrCat(resource_prefix, i % resources));
  update->set_kind("service");
  update->set_status(i % 2 ? v1::HEALTHY : v1::DEPLOYING);
  update->set_message(absl::StrCat("rolling out revision ", i, " of the service, step ", i % 7));
  return event;
}

struct PublisherResult {
  Latencies latencies;
  uint64_t acknowledged = 0;
  uint64_t dropped = 0;
};

// events: made before the clock starts, so that the load tool spends its
// CPU on publishing them, not on formatting strings.
void RunPublisher(const client::HubPublisherOptions& options, std::vector<v1::Event>* events, const IngestOptions& bench,
                  PublisherResult* result) {
  client::HubPublisher publisher(options);
  const uint64_t count = events->size();
  std::vector<int64_t> sent_at(count);
  uint64_t acked = 0;
  // Records the latency of everything acknowledged since the last look.
  auto poll = [&] {
    const uint64_t now_acked = publisher.stats().acknowledged;
    if (now_acked == acked) return;
    const int64_t now = absl::GetCurrentTimeNanos();
    for (uint64_t i = acked; i < now_acked && i < count; ++i) result->latencies.Add(now - sent_at[i]);
    acked = now_acked;
  };
  for (uint64_t i = 0; i < count; ++i) {
    while (i - acked >= bench.window) {
      poll();
      if (i - acked >= bench.window) absl::SleepFor(absl::Microseconds(50));
    }
    sent_at[i] = absl::GetCurrentTimeNanos();
    publisher.Publish(std::move((*events)[i]));
    if (i % 128 == 0) poll();
  }
  while (acked < count) {
    poll();
    if (acked < count) absl::SleepFor(absl::Microseconds(100));
  }
  result->acknowledged = acked;
  result->dropped = publisher.stats().dropped;
}

// CPU seconds of all these processes.
double CpuSeconds(const std::vector<pid_t>& pids) {
  double seconds = 0;
  for (pid_t pid : pids) seconds += ReadProcessStats(pid).cpu_seconds;
  return seconds;
}

}  // namespace

int RunIngest(const IngestOptions& options) {
  HubStore store;
  store.durable = options.durable;
  std::unique_ptr<jetstream::LocalCluster> cluster;
  std::string nats_dir;
  if (options.nats_hubs > 0) {
    char dir_template[] = "/tmp/nanokit-bench-nats-XXXXXX";
    if (mkdtemp(dir_template) == nullptr) return ReportFailure(absl::UnavailableError("no temporary folder"));
    nats_dir = dir_template;
    auto started = jetstream::LocalCluster::Start(3, nats_dir);
    if (!started.ok()) return ReportFailure(started.status());
    cluster = *std::move(started);
    store.nats = cluster->urls();
    store.hubs = options.nats_hubs;
  }
  auto servers = Servers::Start(options.hub_binary, store, "", {}, options.server_cpus);
  if (!servers.ok()) return ReportFailure(servers.status());
  const std::string token = (*servers)->token();
  const std::string store_name = options.nats_hubs > 0 ? absl::StrCat("nats-r3-hubs", options.nats_hubs)
                                 : options.durable     ? "sqlite"
                                                       : "memory";
  std::vector<pid_t> nats_pids;
  for (int n = 0; cluster && n < 3; ++n) nats_pids.push_back(cluster->pid(n));
  const std::vector<pid_t> hub_pids = (*servers)->hub_pids();

  client::HubPublisherOptions publisher_options;
  publisher_options.token = token;
  const uint64_t per_publisher = options.events / static_cast<uint64_t>(options.publishers);
  std::vector<PublisherResult> results(static_cast<size_t>(options.publishers));
  std::vector<std::thread> threads;
  std::vector<std::vector<v1::Event>> events(static_cast<size_t>(options.publishers));
  for (int p = 0; p < options.publishers; ++p) {
    const std::string prefix = absl::StrCat("p", p, "-r");
    events[static_cast<size_t>(p)].reserve(per_publisher);
    for (uint64_t i = 0; i < per_publisher; ++i) {
      events[static_cast<size_t>(p)].push_back(MakeEvent(i, options.resources, prefix));
    }
  }

  const double hub_before = CpuSeconds(hub_pids), nats_before = CpuSeconds(nats_pids);
  const double own_before = OwnCpuSeconds();
  const absl::Time start = absl::Now();
  for (int p = 0; p < options.publishers; ++p) {
    client::HubPublisherOptions o = publisher_options;
    o.source = absl::StrCat("bench-", p);
    o.target = (*servers)->hub_addresses()[static_cast<size_t>(p) % (*servers)->hub_addresses().size()];
    threads.emplace_back(RunPublisher, o, &events[static_cast<size_t>(p)], std::cref(options),
                         &results[static_cast<size_t>(p)]);
  }
  for (auto& t : threads) t.join();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  const ProcessStats hub_after = ReadProcessStats((*servers)->hub_pid());
  const double hubs_cpu = CpuSeconds(hub_pids) - hub_before, nats_cpu = (CpuSeconds(nats_pids) - nats_before) / seconds;
  const double own_cpu = OwnCpuSeconds() - own_before;

  Latencies all;
  uint64_t acknowledged = 0, dropped = 0;
  for (auto& r : results) {
    all.Merge(r.latencies);
    acknowledged += r.acknowledged;
    dropped += r.dropped;
  }
  const double hub_cpu = hubs_cpu / seconds;
  const double bench_cpu = own_cpu / seconds;
  const unsigned cores = std::thread::hardware_concurrency();
  std::printf("ingest  store=%s publishers=%d events=%llu\n", store_name.c_str(), options.publishers,
              static_cast<unsigned long long>(acknowledged));
  std::printf("  acknowledged events/s  %12.0f\n", static_cast<double>(acknowledged) / seconds);
  std::printf("  ack latency p50 / p99  %9.2f ms / %.2f ms\n", all.PercentileMs(0.50), all.PercentileMs(0.99));
  std::printf("  dropped by publishers  %12llu\n", static_cast<unsigned long long>(dropped));
  std::printf("  hub CPU                %11.0f%% of one core (%u cores), peak RSS %.1f MiB\n", hub_cpu * 100, cores,
              static_cast<double>(hub_after.peak_rss_bytes) / (1 << 20));
  std::printf("  publishers' CPU        %11.0f%% of one core\n", bench_cpu * 100);
  if (cluster) std::printf("  nats-servers' CPU      %11.0f%% of one core (3 nodes)\n", nats_cpu * 100);
  const char* bound = hub_cpu + bench_cpu + nats_cpu >= 0.9 * cores ? "CPU: the machine is saturated"
                      : hub_cpu >= 0.85                  ? "the hub's CPU (its publish path is one serialized lock)"
                      : bench_cpu >= 0.85 * options.publishers ? "the publishers' CPU"
                      : options.durable                        ? "the store's commits"
                                                               : "latency (raise --window or --publishers)";
  std::printf("  bound by               %s\n", bound);
  std::printf(
      "RESULT mode=ingest store=%s events_per_s=%.0f p50_ms=%.3f p99_ms=%.3f hub_cpu=%.2f bench_cpu=%.2f "
      "nats_cpu=%.2f\n",
      store_name.c_str(), static_cast<double>(acknowledged) / seconds, all.PercentileMs(0.50),
      all.PercentileMs(0.99), hub_cpu, bench_cpu, nats_cpu);
  servers->reset();
  cluster.reset();
  std::error_code ec;
  if (!nats_dir.empty()) std::filesystem::remove_all(nats_dir, ec);
  return acknowledged == per_publisher * static_cast<uint64_t>(options.publishers) && dropped == 0 ? 0 : 1;
}

}  // namespace nanokit::bench
