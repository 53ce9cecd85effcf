// Several hubs on one replicated JetStream stream (--nats), against a real
// 3-node nats-server cluster (replicas 3): one history per project whichever
// hub a core reaches, cores and gateways that move to another hub when
// theirs dies, a stream leader killed under load, a hub started later, and
// a stream deleted under running hubs.

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core_client/activity_manager.h"
#include "core_client/hub_publisher.h"
#include "hub_client/hub_channel.h"
#include "jetstream/local_cluster.h"
#include "jetstream/stream_log.h"
#include "tests/support/client_state.h"
#include "tests/support/stack.h"
#include "tests/support/test_pki.h"

namespace nanokit::testing {
namespace {

namespace v1 = nanokit::bridge::v1;

constexpr char kStream[] = "NANOKIT";

class JetStreamHubsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cluster = jetstream::LocalCluster::Start(3, first_.dir().File("nats"));
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = *std::move(cluster);
  }

  std::vector<std::string> NatsFlags(std::vector<std::string> extra = {}) {
    std::vector<std::string> flags = {"--nats", cluster_->urls(), "--nats-replicas", "3",
                                      "--heartbeat-interval", "500ms"};
    flags.insert(flags.end(), extra.begin(), extra.end());
    return flags;
  }
  absl::Status StartFirstHub(std::vector<std::string> extra = {}) { return first_.StartHub(NatsFlags(extra)); }
  // The second hub takes the first stack's token.
  absl::Status StartSecondHub(std::vector<std::string> extra = {}) {
    std::vector<std::string> flags = NatsFlags(extra);
    flags.insert(flags.end(), {"--token-file", first_.token_file()});
    return second_.StartHub(flags);
  }
  std::string BothHubs() const { return first_.hub_address() + "," + second_.hub_address(); }

  client::HubPublisherOptions Options(const std::string& target) {
    client::HubPublisherOptions options;
    options.target = target;
    options.token = first_.token();
    options.initial_backoff = absl::Milliseconds(50);
    options.max_backoff = absl::Milliseconds(300);
    return options;
  }

  absl::StatusOr<v1::ProjectSnapshot> SnapshotAt(const std::string& address, const std::string& project) {
    return GetSnapshot(CreateHubChannel(address, {}), first_.token(), project);
  }

  // Waits until the hub at address holds project at seq (or more).
  absl::StatusOr<v1::ProjectSnapshot> AwaitSeq(const std::string& address, const std::string& project,
                                               uint64_t seq) {
    absl::StatusOr<v1::ProjectSnapshot> snapshot;
    for (const absl::Time deadline = absl::Now() + absl::Seconds(30); absl::Now() < deadline;) {
      snapshot = SnapshotAt(address, project);
      if (snapshot.ok() && snapshot->seq() >= seq) return snapshot;
      absl::SleepFor(absl::Milliseconds(100));
    }
    if (!snapshot.ok()) return snapshot.status();
    return absl::DeadlineExceededError(absl::StrCat("at seq ", snapshot->seq(), ", not ", seq));
  }

  // The first response of a Watch from (epoch, after_seq) on the hub at
  // address: events (a resume) or a snapshot.
  absl::StatusOr<v1::WatchResponse> FirstWatchResponse(const std::string& address, const std::string& project,
                                                       const std::string& epoch, uint64_t after_seq) {
    auto stub = v1::WatchService::NewStub(CreateHubChannel(address, {}));
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + first_.token());
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    v1::WatchRequest request;
    request.set_project(project);
    request.set_epoch(epoch);
    request.set_after_seq(after_seq);
    auto reader = stub->Watch(&context, request);
    v1::WatchResponse response;
    const bool read = reader->Read(&response);
    context.TryCancel();
    if (!read) return absl::UnavailableError("the watch ended without a response");
    return response;
  }

  // The stream as the hubs made it, from the test's own connection.
  std::unique_ptr<jetstream::StreamLog> OpenStream() {
    jetstream::ConnectionOptions options;
    options.servers = cluster_->node_urls();
    auto connection = jetstream::Connection::Connect(options);
    EXPECT_TRUE(connection.ok()) << connection.status();
    if (!connection.ok()) return nullptr;
    connection_ = *std::move(connection);
    jetstream::StreamSettings settings;
    settings.name = kStream;
    settings.subject = absl::StrCat("nanokit.", kStream);
    auto log = jetstream::StreamLog::Open(connection_.get(), settings);
    EXPECT_TRUE(log.ok()) << log.status();
    return log.ok() ? *std::move(log) : nullptr;
  }

  // Every event the hub at stack holds, checked: seqs 1, 2, 3... with no
  // gap, and no (source, source_seq) twice.
  std::vector<v1::Event> CheckedHistory(TestStack& stack, const std::string& project, const std::string& epoch,
                                        uint64_t upto) {
    std::vector<v1::Event> history =
        HubHistory(CreateHubChannel(stack.hub_address(), {}), first_.token(), project, epoch, upto);
    std::set<std::pair<std::string, uint64_t>> seen;
    for (size_t i = 0; i < history.size(); ++i) {
      EXPECT_EQ(history[i].seq(), i + 1) << "a gap or a reordering at " << i;
      EXPECT_TRUE(seen.insert({history[i].source(), history[i].source_seq()}).second)
          << history[i].source() << " " << history[i].source_seq() << " twice";
    }
    EXPECT_EQ(history.size(), upto);
    return history;
  }

  TestStack first_;
  TestStack second_;
  std::unique_ptr<jetstream::LocalCluster> cluster_;
  std::unique_ptr<jetstream::Connection> connection_;
};

// Publishes count status updates that each change the state (a new
// message every time), so each is one event in the history.
void PublishUpdates(client::ActivityManager& activity, const std::string& prefix, int count) {
  for (int i = 0; i < count; ++i) {
    activity.SetStatus(absl::StrCat(prefix, i % 20), v1::HEALTHY, absl::StrCat(prefix, " update ", i));
  }
}

// The metrics port a server printed on its second stdout line.
absl::StatusOr<uint16_t> MetricsPort(ChildProcess* server) {
  auto line = server->ReadLine(absl::Seconds(10));
  if (!line.ok()) return line.status();
  const size_t colon = line->rfind(':');
  if (line->find(" metrics on ") == std::string::npos || colon == std::string::npos) {
    return absl::InternalError("not a metrics line: " + *line);
  }
  return static_cast<uint16_t>(std::stoi(line->substr(colon + 1)));
}

// A counter's value in a Prometheus scrape; -1 if absent.
double Scraped(uint16_t port, const std::string& name) {
  auto page = HttpGet(port, "/metrics");
  if (!page.ok()) return -1;
  for (absl::string_view line : absl::StrSplit(page->body, '\n')) {
    if (absl::ConsumePrefix(&line, name + " ")) return std::stod(std::string(line));
  }
  return -1;
}

TEST_F(JetStreamHubsTest, CoresOnTwoHubsWriteOneHistoryThatEveryoneSeesAlike) {
  ASSERT_TRUE(StartFirstHub({"--metrics-listen", "127.0.0.1:0"}).ok()) << first_.HubLog();
  auto first_metrics = MetricsPort(first_.hub());
  ASSERT_TRUE(first_metrics.ok()) << first_metrics.status();
  ASSERT_TRUE(StartSecondHub({"--metrics-listen", "127.0.0.1:0"}).ok()) << second_.HubLog();
  auto second_metrics = MetricsPort(second_.hub());
  ASSERT_TRUE(second_metrics.ok()) << second_metrics.status();
  ASSERT_TRUE(first_.StartGateway({"--hub", BothHubs()}).ok());
  auto client = first_.ConnectClient();
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_TRUE((*client)->Send(SubscribeMessage("shop")).ok());

  client::ActivityManager on_first("shop"), on_second("shop");
  client::HubPublisher to_first(Options(first_.hub_address())), to_second(Options(second_.hub_address()));
  to_first.Attach(&on_first);
  to_second.Attach(&on_second);
  constexpr int kEach = 400;
  std::thread a([&] { PublishUpdates(on_first, "a", kEach); });
  std::thread b([&] { PublishUpdates(on_second, "b", kEach); });
  a.join();
  b.join();
  ASSERT_TRUE(to_first.Flush(absl::Seconds(60))) << first_.HubLog();
  ASSERT_TRUE(to_second.Flush(absl::Seconds(60))) << second_.HubLog();

  // Both hubs hold the same state, at the same seq, in the same epoch.
  auto on_a = AwaitSeq(first_.hub_address(), "shop", 2 * kEach);
  auto on_b = AwaitSeq(second_.hub_address(), "shop", 2 * kEach);
  ASSERT_TRUE(on_a.ok()) << on_a.status() << "\n" << first_.HubLog();
  ASSERT_TRUE(on_b.ok()) << on_b.status() << "\n" << second_.HubLog();
  EXPECT_EQ(on_a->seq(), 2u * kEach);
  EXPECT_EQ(on_a->epoch(), on_b->epoch());
  EXPECT_EQ(DiffSnapshots(*on_a, *on_b), "");
  // One history: every acknowledged event once, seqs without a gap, the
  // same on both hubs.
  auto history_a = CheckedHistory(first_, "shop", on_a->epoch(), on_a->seq());
  auto history_b = CheckedHistory(second_, "shop", on_b->epoch(), on_b->seq());
  ASSERT_EQ(history_a.size(), history_b.size());
  for (size_t i = 0; i < history_a.size(); ++i) {
    EXPECT_EQ(history_a[i].source(), history_b[i].source());
    EXPECT_EQ(history_a[i].source_seq(), history_b[i].source_seq());
  }
  // And the dashboard merged the same state.
  ClientState state;
  while (state.seq("shop") < on_a->seq()) {
    auto message = (*client)->ReadMessage(absl::Seconds(20));
    ASSERT_TRUE(message.ok()) << message.status() << "\n" << first_.GatewayLog();
    ASSERT_TRUE(state.Apply(*message).ok());
  }
  EXPECT_EQ(DiffSnapshots(*on_a, state.project("shop").ToSnapshot()), "");
  // Each event was committed by one hub: they count 800 between them.
  const std::string accepted = "nanokit_hub_events_accepted_total";
  EXPECT_EQ(Scraped(*first_metrics, accepted) + Scraped(*second_metrics, accepted), 2.0 * kEach);
  std::cout << "races lost: " << Scraped(*first_metrics, "nanokit_hub_commit_races_lost_total") << " + "
            << Scraped(*second_metrics, "nanokit_hub_commit_races_lost_total") << "\n";
}

TEST_F(JetStreamHubsTest, WhenAHubDiesItsCoresAndTheGatewayMoveToTheOtherAndDashboardsGetNoSnapshot) {
  ASSERT_TRUE(StartFirstHub().ok()) << first_.HubLog();
  ASSERT_TRUE(StartSecondHub().ok()) << second_.HubLog();
  ASSERT_TRUE(first_.StartGateway({"--hub", BothHubs()}).ok());
  auto client = first_.ConnectClient();
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_TRUE((*client)->Send(SubscribeMessage("shop")).ok());
  ClientState state;

  client::ActivityManager activity("shop");
  client::HubPublisher publisher(Options(BothHubs()));
  publisher.Attach(&activity);
  std::atomic<bool> stop{false};
  std::thread load([&] {
    for (int i = 0; !stop; ++i) {
      activity.SetStatus(absl::StrCat("r", i % 20), v1::HEALTHY, absl::StrCat("update ", i));
      absl::SleepFor(absl::Milliseconds(1));
    }
  });
  auto pump = [&](absl::Duration how_long) {
    for (const absl::Time until = absl::Now() + how_long; absl::Now() < until;) {
      auto message = (*client)->ReadMessage(absl::Milliseconds(100));
      if (message.ok()) {
        ASSERT_TRUE(state.Apply(*message).ok());
      }
    }
  };
  pump(absl::Seconds(1));
  ASSERT_GT(state.seq("shop"), 0u) << "events flow before the kill";
  ASSERT_EQ(first_.StopHub(SIGKILL), 128 + SIGKILL);
  pump(absl::Seconds(2));
  stop = true;
  load.join();
  ASSERT_TRUE(publisher.Flush(absl::Seconds(60))) << second_.HubLog();

  auto final_state = AwaitSeq(second_.hub_address(), "shop", 1);
  ASSERT_TRUE(final_state.ok()) << final_state.status();
  const uint64_t published = publisher.stats().published;
  // Every event the core published is in the history once: the ones the
  // dead hub had not acknowledged were resent, and deduplicated if it had
  // committed them after all.
  CheckedHistory(second_, "shop", final_state->epoch(), published);
  while (state.seq("shop") < final_state->seq()) {
    auto message = (*client)->ReadMessage(absl::Seconds(30));
    ASSERT_TRUE(message.ok()) << message.status() << "\n" << first_.GatewayLog();
    ASSERT_TRUE(state.Apply(*message).ok());
  }
  EXPECT_EQ(state.snapshots(), 1) << "the gateway resumed through the other hub: no second snapshot\n"
                                  << first_.GatewayLog();
  EXPECT_EQ(DiffSnapshots(*final_state, state.project("shop").ToSnapshot()), "");
}

TEST_F(JetStreamHubsTest, KillingTheStreamLeaderStallsPublishingAndLosesNothing) {
  ASSERT_TRUE(StartFirstHub().ok()) << first_.HubLog();
  auto stream = OpenStream();
  ASSERT_NE(stream, nullptr);
  client::ActivityManager activity("shop");
  client::HubPublisher publisher(Options(first_.hub_address()));
  publisher.Attach(&activity);
  PublishUpdates(activity, "before", 100);
  ASSERT_TRUE(publisher.Flush(absl::Seconds(30)));

  auto state = stream->State();
  ASSERT_TRUE(state.ok()) << state.status();
  const int leader = cluster_->NodeNamed(state->leader);
  ASSERT_GE(leader, 0) << state->leader;
  const absl::Time killed = absl::Now();
  cluster_->Kill(leader);
  PublishUpdates(activity, "after", 100);
  ASSERT_TRUE(publisher.Flush(absl::Seconds(60))) << first_.HubLog();
  std::cout << "publishing resumed " << absl::FormatDuration(absl::Now() - killed)
            << " after the stream's leader was killed\n";

  auto snapshot = AwaitSeq(first_.hub_address(), "shop", 200);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_EQ(snapshot->seq(), 200u);
  CheckedHistory(first_, "shop", snapshot->epoch(), 200);
}

TEST_F(JetStreamHubsTest, AHubStartedLaterRestoresFromTheStoredSnapshotAndServesResumes) {
  // A stream that keeps only its last 20 entries, and a snapshot every 50
  // events: what a late hub restores from is the snapshot, not the events.
  ASSERT_TRUE(StartFirstHub({"--snapshot-every", "50", "--nats-max-entries", "20"}).ok()) << first_.HubLog();
  // A quiet project: one event, then nothing while the stream moves on far
  // past what it keeps. The hub writes it in full again before its entry
  // goes.
  client::ActivityManager quiet("quiet");
  client::HubPublisher quiet_publisher(Options(first_.hub_address()));
  quiet_publisher.Attach(&quiet);
  quiet.SetStatus("db", v1::HEALTHY, "the only event");
  ASSERT_TRUE(quiet_publisher.Flush(absl::Seconds(30)));
  client::ActivityManager activity("shop");
  client::HubPublisher publisher(Options(first_.hub_address()));
  publisher.Attach(&activity);
  for (int round = 0; round < 30; ++round) {  // one entry per round, or close to it
    PublishUpdates(activity, absl::StrCat("round", round, "-"), 5);
    ASSERT_TRUE(publisher.Flush(absl::Seconds(30)));
    absl::SleepFor(absl::Milliseconds(50));
  }
  auto on_first = AwaitSeq(first_.hub_address(), "shop", 150);
  ASSERT_TRUE(on_first.ok()) << on_first.status();

  ASSERT_TRUE(StartSecondHub({"--snapshot-every", "50", "--nats-max-entries", "20"}).ok()) << second_.HubLog();
  auto on_second = AwaitSeq(second_.hub_address(), "shop", 150);
  ASSERT_TRUE(on_second.ok()) << on_second.status() << "\n" << second_.HubLog();
  EXPECT_EQ(on_second->epoch(), on_first->epoch());
  EXPECT_EQ(DiffSnapshots(*on_first, *on_second), "");
  auto quiet_on_first = SnapshotAt(first_.hub_address(), "quiet");
  auto quiet_on_second = SnapshotAt(second_.hub_address(), "quiet");
  ASSERT_TRUE(quiet_on_first.ok() && quiet_on_second.ok());
  EXPECT_EQ(quiet_on_second->seq(), 1u) << second_.HubLog();
  EXPECT_EQ(DiffSnapshots(*quiet_on_first, *quiet_on_second), "");
  // A watcher a few events behind resumes on the new hub: events, no snapshot.
  auto resumed = FirstWatchResponse(second_.hub_address(), "shop", on_first->epoch(), 147);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  ASSERT_TRUE(resumed->has_events()) << resumed->DebugString();
  ASSERT_EQ(resumed->events().events_size(), 3);
  EXPECT_EQ(resumed->events().events(0).seq(), 148u);
}

TEST_F(JetStreamHubsTest, AStreamDeletedUnderRunningHubsIsANewEpochAndDashboardsGetASnapshot) {
  ASSERT_TRUE(StartFirstHub().ok()) << first_.HubLog();
  ASSERT_TRUE(first_.StartGateway().ok());
  auto client = first_.ConnectClient();
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_TRUE((*client)->Send(SubscribeMessage("shop")).ok());
  client::ActivityManager activity("shop");
  client::HubPublisher publisher(Options(first_.hub_address()));
  publisher.Attach(&activity);
  PublishUpdates(activity, "old", 10);
  ASSERT_TRUE(publisher.Flush(absl::Seconds(30)));
  ClientState state;
  while (state.seq("shop") < 10) {
    auto message = (*client)->ReadMessage(absl::Seconds(20));
    ASSERT_TRUE(message.ok()) << message.status();
    ASSERT_TRUE(state.Apply(*message).ok());
  }
  const std::string old_epoch = state.epoch("shop");

  auto stream = OpenStream();
  ASSERT_NE(stream, nullptr);
  ASSERT_TRUE(stream->Delete().ok());
  // The hub notices, makes the stream again and starts over: the dashboard
  // gets the empty state of the new epoch, never a silent gap.
  while (state.epoch("shop") == old_epoch) {
    auto message = (*client)->ReadMessage(absl::Seconds(20));
    ASSERT_TRUE(message.ok()) << message.status() << "\n" << first_.HubLog();
    ASSERT_TRUE(state.Apply(*message).ok());
  }
  EXPECT_EQ(state.seq("shop"), 0u);
  EXPECT_EQ(state.project("shop").ToSnapshot().resources_size(), 0);
  // And the new history takes events again, from seq 1.
  PublishUpdates(activity, "new", 3);
  ASSERT_TRUE(publisher.Flush(absl::Seconds(30))) << first_.HubLog();
  while (state.seq("shop") < 3) {
    auto message = (*client)->ReadMessage(absl::Seconds(20));
    ASSERT_TRUE(message.ok()) << message.status() << "\n" << first_.HubLog();
    ASSERT_TRUE(state.Apply(*message).ok());
  }
  EXPECT_NE(state.epoch("shop"), old_epoch);
}

TEST_F(JetStreamHubsTest, ACoreConnectedToOneHubIsConnectedOnEveryHub) {
  ASSERT_TRUE(StartFirstHub().ok()) << first_.HubLog();
  ASSERT_TRUE(StartSecondHub().ok()) << second_.HubLog();
  auto connected_on_first = [&](bool expected) {
    for (const absl::Time deadline = absl::Now() + absl::Seconds(10); absl::Now() < deadline;) {
      auto snapshot = SnapshotAt(first_.hub_address(), "shop");
      if (snapshot.ok() && snapshot->core_connected() == expected) return true;
      absl::SleepFor(absl::Milliseconds(100));
    }
    return false;
  };
  {
    // Attached to the second hub, before any event.
    client::ActivityManager activity("shop");
    client::HubPublisher publisher(Options(second_.hub_address()));
    publisher.Attach(&activity);
    ASSERT_TRUE(publisher.Flush(absl::Seconds(20)));
    EXPECT_TRUE(connected_on_first(true)) << "the first hub hears of the core on the second";
  }
  EXPECT_TRUE(connected_on_first(false)) << "and of its going away";

  // A core whose hub dies: the other hub no longer counts it once the dead
  // one is silent (the core itself moves on if it knows another hub).
  client::ActivityManager activity("shop");
  client::HubPublisher publisher(Options(second_.hub_address()));
  publisher.Attach(&activity);
  ASSERT_TRUE(publisher.Flush(absl::Seconds(20)));
  ASSERT_TRUE(connected_on_first(true));
  ASSERT_EQ(second_.StopHub(SIGKILL), 128 + SIGKILL);
  EXPECT_TRUE(connected_on_first(false)) << "a dead hub's cores expire";
}

TEST_F(JetStreamHubsTest, AHubReachesNatsOverVerifiedTlsOnly) {
  auto pki = MakeTestPki(first_.dir().path(), "a");
  auto other = MakeTestPki(first_.dir().path(), "b");
  ASSERT_TRUE(pki.ok() && other.ok());
  auto tls_cluster = jetstream::LocalCluster::Start(
      3, first_.dir().File("nats-tls"),
      absl::StrCat("tls { cert_file: \"", pki->server_cert, "\", key_file: \"", pki->server_key, "\" }"));
  ASSERT_TRUE(tls_cluster.ok()) << tls_cluster.status();
  const std::string urls = (*tls_cluster)->urls();
  ASSERT_EQ(urls.rfind("tls://", 0), 0u) << urls;
  std::string plain = urls;
  for (size_t at = plain.find("tls://"); at != std::string::npos; at = plain.find("tls://", at)) {
    plain.replace(at, 6, "nats://");
  }
  // Trusting another CA, or no CA at all: no store, so no hub.
  EXPECT_FALSE(first_.StartHub({"--nats", urls, "--nats-ca", other->ca_cert}).ok());
  EXPECT_NE(first_.HubLog().find("--nats:"), std::string::npos) << first_.HubLog();
  EXPECT_FALSE(first_.StartHub({"--nats", plain}).ok());
  // Trusting the servers' CA: it serves, and keeps what it is given.
  ASSERT_TRUE(first_.StartHub({"--nats", urls, "--nats-ca", pki->ca_cert}).ok()) << first_.HubLog();
  client::ActivityManager activity("shop");
  client::HubPublisher publisher(Options(first_.hub_address()));
  publisher.Attach(&activity);
  PublishUpdates(activity, "tls", 5);
  ASSERT_TRUE(publisher.Flush(absl::Seconds(30))) << first_.HubLog();
  auto snapshot = AwaitSeq(first_.hub_address(), "shop", 5);
  EXPECT_TRUE(snapshot.ok()) << snapshot.status();
}

TEST_F(JetStreamHubsTest, BadNatsFlagsAreOneClearErrorAtStart) {
  EXPECT_FALSE(StartFirstHub({"--in-memory"}).ok());
  EXPECT_NE(first_.HubLog().find("--nats excludes --data-dir and --in-memory"), std::string::npos) << first_.HubLog();
  EXPECT_FALSE(first_.StartHub({"--nats", "http://127.0.0.1:4222"}).ok());
  EXPECT_NE(first_.HubLog().find("is not a NATS URL"), std::string::npos) << first_.HubLog();
  // Nothing listens on port 1: the hub says so and exits, it does not serve
  // without its store.
  EXPECT_FALSE(first_.StartHub({"--nats", "nats://127.0.0.1:1"}).ok());
  EXPECT_NE(first_.HubLog().find("--nats:"), std::string::npos) << first_.HubLog();
}

}  // namespace
}  // namespace nanokit::testing
