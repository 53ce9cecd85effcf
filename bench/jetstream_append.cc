#include "bench/jetstream_append.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/latency.h"
#include "bench/process_stats.h"
#include "jetstream/connection.h"
#include "jetstream/local_cluster.h"
#include "jetstream/stream_log.h"

namespace nanokit::bench {

namespace {

struct ClusterStats {
  double cpu_seconds = 0;
  uint64_t rss_bytes = 0;
};

ClusterStats ReadClusterStats(const jetstream::LocalCluster& cluster, int nodes) {
  ClusterStats stats;
  for (int i = 0; i < nodes; ++i) {
    ProcessStats node = ReadProcessStats(cluster.pid(i));
    stats.cpu_seconds += node.cpu_seconds;
    stats.rss_bytes += node.rss_bytes;
  }
  return stats;
}

}  // namespace

int RunJetStreamAppend(const JetStreamAppendOptions& options) {
  char dir_template[] = "/tmp/nanokit-bench-nats-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) return 1;
  const std::string dir = dir_template;
  auto cluster = jetstream::LocalCluster::Start(options.nodes, dir);
  if (!cluster.ok()) {
    std::fprintf(stderr, "nanokit-bench jetstream: %s\n", std::string(cluster.status().message()).c_str());
    return 1;
  }
  const ClusterStats at_start = ReadClusterStats(**cluster, options.nodes);
  jetstream::ConnectionOptions connection_options;
  connection_options.servers = (*cluster)->node_urls();
  auto connection = jetstream::Connection::Connect(connection_options);
  if (!connection.ok()) {
    std::fprintf(stderr, "nanokit-bench jetstream: %s\n", std::string(connection.status().message()).c_str());
    return 1;
  }
  // The meta leader is elected a moment after the cluster starts.
  std::vector<std::unique_ptr<jetstream::StreamLog>> logs;
  for (int i = 0; i < options.streams; ++i) {
    jetstream::StreamSettings settings{.name = absl::StrCat("BENCH_", i),
                                       .subject = absl::StrCat("bench.", i),
                                       .replicas = options.replicas,
                                       .max_messages = -1,
                                       .max_bytes = -1,
                                       .duplicate_window = absl::Minutes(2)};
    absl::StatusOr<std::unique_ptr<jetstream::StreamLog>> log = absl::UnavailableError("not tried");
    for (const absl::Time deadline = absl::Now() + absl::Seconds(30); !log.ok() && absl::Now() < deadline;) {
      log = jetstream::StreamLog::Open(connection->get(), settings);
      if (!log.ok()) absl::SleepFor(absl::Milliseconds(200));
    }
    if (!log.ok()) {
      std::fprintf(stderr, "nanokit-bench jetstream: %s\n", std::string(log.status().message()).c_str());
      return 1;
    }
    logs.push_back(*std::move(log));
  }
  const ClusterStats created = ReadClusterStats(**cluster, options.nodes);

  // One writer per stream, one append in flight each.
  const std::string payload(options.batch_events * options.event_bytes, 'x');
  std::vector<Latencies> latencies(logs.size());
  std::vector<uint64_t> appended(logs.size(), 0);
  std::vector<std::string> errors(logs.size());
  const absl::Time start = absl::Now();
  const absl::Time until = start + options.duration;
  std::vector<std::thread> writers;
  for (size_t i = 0; i < logs.size(); ++i) {
    writers.emplace_back([&, i] {
      uint64_t last = 0;
      while (absl::Now() < until) {
        const absl::Time sent = absl::Now();
        auto result = logs[i]->Append(payload, absl::StrCat("w", i, "/", last + 1), last);
        if (!result.ok()) {
          errors[i] = std::string(result.status().message());
          return;
        }
        latencies[i].Add(absl::ToInt64Nanoseconds(absl::Now() - sent));
        last = result->seq;
        ++appended[i];
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  const ClusterStats loaded = ReadClusterStats(**cluster, options.nodes);
  for (const std::string& error : errors) {
    if (!error.empty()) {
      std::fprintf(stderr, "nanokit-bench jetstream: an append failed: %s\n", error.c_str());
      return 1;
    }
  }
  Latencies all;
  uint64_t total = 0;
  for (size_t i = 0; i < logs.size(); ++i) {
    all.Merge(latencies[i]);
    total += appended[i];
  }
  // Idle with the streams in place: what the Raft groups cost at rest.
  const ClusterStats idle_start = ReadClusterStats(**cluster, options.nodes);
  absl::SleepFor(options.idle);
  const ClusterStats idle_end = ReadClusterStats(**cluster, options.nodes);

  const double appends_per_s = static_cast<double>(total) / seconds;
  const double events_per_s = appends_per_s * static_cast<double>(options.batch_events);
  const double idle_cpu = (idle_end.cpu_seconds - idle_start.cpu_seconds) / absl::ToDoubleSeconds(options.idle);
  std::printf("jetstream: %d nodes, replicas %d, %d stream(s), %llu events of %llu bytes per append\n", options.nodes,
              options.replicas, options.streams, static_cast<unsigned long long>(options.batch_events),
              static_cast<unsigned long long>(options.event_bytes));
  std::printf("  appends      %.0f/s (%.0f events/s), latency p50 %.2f ms, p99 %.2f ms\n", appends_per_s,
              events_per_s, all.PercentileMs(0.5), all.PercentileMs(0.99));
  std::printf("  servers      %.2f CPU cores while appending\n",
              (loaded.cpu_seconds - created.cpu_seconds) / seconds);
  std::printf("  at rest      %.1f MiB resident for the cluster at start, %.1f MiB with the streams "
              "(%.2f MiB per stream), %.1f%% of a core idle\n",
              Mib(at_start.rss_bytes), Mib(idle_end.rss_bytes),
              Mib(idle_end.rss_bytes > at_start.rss_bytes ? idle_end.rss_bytes - at_start.rss_bytes : 0) /
                  options.streams,
              100 * idle_cpu);
  std::printf("RESULT mode=jetstream streams=%d replicas=%d batch=%llu appends_per_s=%.0f events_per_s=%.0f "
              "p50_ms=%.3f p99_ms=%.3f idle_cpu=%.3f rss_mib=%.1f\n",
              options.streams, options.replicas, static_cast<unsigned long long>(options.batch_events),
              appends_per_s, events_per_s, all.PercentileMs(0.5), all.PercentileMs(0.99), idle_cpu,
              Mib(idle_end.rss_bytes));
  logs.clear();
  connection->reset();
  cluster->reset();
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace nanokit::bench
