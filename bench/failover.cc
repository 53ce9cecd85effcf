#include "bench/failover.h"

#include <stdlib.h>

#include <atomic>
#include <boost/asio/ip/address.hpp>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "bench/load_client.h"
#include "bench/servers.h"
#include "bench/targets.h"
#include "core_client/activity_manager.h"
#include "core_client/hub_publisher.h"
#include "jetstream/local_cluster.h"
#include "jetstream/stream_log.h"

namespace nanokit::bench {

namespace v1 = nanokit::bridge::v1;

namespace {

// What the one client saw, on its io_context's thread.
struct Seen {
  absl::Time last_event = absl::InfinitePast();
  absl::Duration longest_gap_after_kill;
  int snapshots = 0;
  uint64_t events = 0;
  bool closed = false;
};

// The longest wait between two events since `since`.
void NoteEvent(Seen& seen, absl::Time now, absl::Time since) {
  if (seen.last_event != absl::InfinitePast() && now > since) {
    seen.longest_gap_after_kill = std::max(seen.longest_gap_after_kill, now - std::max(seen.last_event, since));
  }
  seen.last_event = now;
  ++seen.events;
}

}  // namespace

int RunFailover(const FailoverOptions& options) {
  if (options.kill != "hub" && options.kill != "nats-leader") {
    return ReportFailure(absl::InvalidArgumentError("--kill: hub or nats-leader"));
  }
  char dir_template[] = "/tmp/nanokit-bench-nats-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) return ReportFailure(absl::UnavailableError("no temporary folder"));
  const std::string nats_dir = dir_template;
  auto cluster = jetstream::LocalCluster::Start(3, nats_dir);
  if (!cluster.ok()) return ReportFailure(cluster.status());
  HubStore store;
  store.nats = (*cluster)->urls();
  store.hubs = 2;
  auto servers = Servers::Start(options.hub_binary, store, "", {});
  if (!servers.ok()) return ReportFailure(servers.status());
  const std::string both = absl::StrCat((*servers)->hub_addresses()[0], ",", (*servers)->hub_addresses()[1]);
  if (auto status = (*servers)->StartGatewayOn(options.gateway_binary, both); !status.ok()) return ReportFailure(status);

  // The client, on its own thread.
  boost::asio::io_context ioc;
  Seen seen;
  std::atomic<int64_t> killed_at{absl::ToUnixNanos(absl::InfiniteFuture())};
  LoadClient::Callbacks callbacks;
  callbacks.on_open = [](LoadClient& client) { client.Send(R"({"type":"subscribe","project":"bench"})"); };
  callbacks.on_message = [&](LoadClient&, std::string_view message) {
    const absl::Time now = absl::Now();
    if (message.find("\"type\":\"snapshot\"") != std::string_view::npos) ++seen.snapshots;
    size_t events = 0;
    for (size_t at = message.find("\"statusUpdate\""); at != std::string_view::npos;
         at = message.find("\"statusUpdate\"", at + 1)) {
      ++events;
    }
    if (events > 0 && message.find("\"type\":\"snapshot\"") == std::string_view::npos) {
      NoteEvent(seen, now, absl::FromUnixNanos(killed_at.load()));
      seen.events += events - 1;
    }
  };
  callbacks.on_closed = [&](LoadClient&, uint16_t) { seen.closed = true; };
  auto client = std::make_shared<LoadClient>(ioc, &callbacks, 0);
  std::vector<std::string> host_port = absl::StrSplit((*servers)->gateway_address(), ':');
  const boost::asio::ip::tcp::endpoint endpoint(boost::asio::ip::make_address(host_port[0]),
                                                static_cast<uint16_t>(std::stoi(host_port[1])));
  client->Connect(endpoint, (*servers)->gateway_address(), "/ws",
                  absl::StrCat("Sec-WebSocket-Protocol: nanokit.v1, nanokit.bearer.", (*servers)->token(), "\r\n"));
  std::atomic<bool> stop{false};
  std::thread client_thread([&] {
    while (!stop) ioc.run_for(std::chrono::milliseconds(10));
  });

  // The core, publishing to both hubs: the first that answers, the other
  // when it goes.
  client::HubPublisherOptions publisher_options;
  publisher_options.target = both;
  publisher_options.token = (*servers)->token();
  publisher_options.initial_backoff = absl::Milliseconds(50);
  publisher_options.max_backoff = absl::Milliseconds(500);
  client::ActivityManager activity("bench");
  client::HubPublisher publisher(publisher_options);
  publisher.Attach(&activity);
  uint64_t published = 0;
  auto flow = [&](absl::Duration how_long) {
    for (const absl::Time until = absl::Now() + how_long; absl::Now() < until;) {
      activity.SetStatus(absl::StrCat("r", published % 50), v1::HEALTHY, absl::StrCat("update ", published));
      ++published;
      absl::SleepFor(options.interval);
    }
  };
  flow(options.before);
  const int snapshots_before = seen.snapshots;
  std::string killed;
  if (options.kill == "hub") {
    killed = "hub " + (*servers)->hub_addresses()[0];
    killed_at = absl::ToUnixNanos(absl::Now());
    (*servers)->KillHub(0);
  } else {
    jetstream::ConnectionOptions connection_options;
    connection_options.servers = (*cluster)->node_urls();
    auto connection = jetstream::Connection::Connect(connection_options);
    if (!connection.ok()) return ReportFailure(connection.status());
    jetstream::StreamSettings settings;
    settings.name = "NANOKIT";
    settings.subject = "nanokit.NANOKIT";
    auto log = jetstream::StreamLog::Open(connection->get(), settings);
    if (!log.ok()) return ReportFailure(log.status());
    auto state = (*log)->State();
    if (!state.ok()) return ReportFailure(state.status());
    const int leader = (*cluster)->NodeNamed(state->leader);
    if (leader < 0) return ReportFailure(absl::InternalError("no stream leader: " + state->leader));
    killed = "nats node " + state->leader + " (the stream's leader)";
    killed_at = absl::ToUnixNanos(absl::Now());
    (*cluster)->Kill(leader);
  }
  flow(options.after);
  const bool flushed = publisher.Flush(absl::Seconds(60));
  absl::SleepFor(absl::Seconds(1));  // the last events reach the client
  stop = true;
  client_thread.join();

  const double freeze = absl::ToDoubleSeconds(seen.longest_gap_after_kill);
  std::printf("failover  killed %s, an event every %s\n", killed.c_str(),
              absl::FormatDuration(options.interval).c_str());
  std::printf("  dashboard frozen at most  %8.2f s\n", freeze);
  std::printf("  snapshots after the kill  %8d (0: it resumed)\n", seen.snapshots - snapshots_before);
  std::printf("  events published / seen   %llu / %llu%s\n", static_cast<unsigned long long>(published),
              static_cast<unsigned long long>(seen.events), flushed ? "" : " (not all acknowledged)");
  std::printf("RESULT mode=failover kill=%s freeze_s=%.3f snapshots=%d acknowledged=%d\n", options.kill.c_str(),
              freeze, seen.snapshots - snapshots_before, flushed ? 1 : 0);
  servers->reset();
  cluster->reset();
  std::error_code ec;
  std::filesystem::remove_all(nats_dir, ec);
  return flushed ? 0 : 1;
}

}  // namespace nanokit::bench
