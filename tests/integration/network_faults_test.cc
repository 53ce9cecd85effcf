// Network blips on every leg — core->hub, hub->gateway, gateway->dashboard —
// injected by TCP proxies at random moments: the final states are equal and
// no acknowledged event is lost or duplicated.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <set>
#include <thread>

#include "core_client/hub_publisher.h"
#include "tests/support/client_state.h"
#include "tests/support/stack.h"
#include "tests/support/tcp_proxy.h"

namespace nanokit::testing {
namespace {

namespace v1 = nanokit::bridge::v1;

// A dashboard that reconnects and resumes with (epoch, seq) whenever its
// connection breaks, like the JavaScript client does.
class ResilientClient {
 public:
  ResilientClient(TestStack& stack, uint16_t port, std::string project)
      : stack_(stack), port_(port), project_(std::move(project)) {}

  void Connect() {
    while (true) {
      client_ = std::make_unique<WsClient>();
      if (client_->Connect("127.0.0.1", port_, {.token = stack_.token(), .timeout = absl::Seconds(2)}).ok()) break;
      absl::SleepFor(absl::Milliseconds(50));
    }
    v1::ClientMessage subscribe;
    subscribe.set_type("subscribe");
    subscribe.set_project(project_);
    if (state.has(project_)) {
      subscribe.set_epoch(state.epoch(project_));
      subscribe.set_after_seq(state.seq(project_));
    }
    (void)client_->Send(subscribe);
  }

  // Reads and merges for a while, reconnecting when the connection breaks.
  void Pump(absl::Duration duration) {
    const absl::Time deadline = absl::Now() + duration;
    while (absl::Now() < deadline) {
      auto m = client_->ReadMessage(std::min(absl::Milliseconds(100), deadline - absl::Now()));
      if (m.ok()) {
        auto status = state.Apply(*m);
        ASSERT_TRUE(status.ok()) << status;
      } else if (m.status().code() != absl::StatusCode::kDeadlineExceeded) {
        ++reconnects;
        Connect();
      }
    }
  }

  ClientState state;
  int reconnects = 0;

 private:
  TestStack& stack_;
  const uint16_t port_;
  const std::string project_;
  std::unique_ptr<WsClient> client_;
};

TEST(NetworkFaultsTest, BlipsOnEveryLegLoseNothingAcknowledged) {
  TestStack stack;
  ASSERT_TRUE(stack.StartHub({"--heartbeat-interval", "300ms"}).ok());
  TcpProxy core_leg(stack.hub_port());
  TcpProxy hub_leg(stack.hub_port());
  ASSERT_TRUE(stack.StartGateway({"--hub", "127.0.0.1:" + std::to_string(hub_leg.port()), "--heartbeat-interval",
                                  "300ms"})
                  .ok());
  TcpProxy client_leg(stack.gateway_port());

  ResilientClient client(stack, client_leg.port(), "demo");
  client.Connect();
  client.Pump(absl::Milliseconds(300));
  ASSERT_TRUE(client.state.has("demo"));

  client::ActivityManager activity("demo");
  client::HubPublisherOptions options;
  options.target = "127.0.0.1:" + std::to_string(core_leg.port());
  options.token = stack.token();
  options.initial_backoff = absl::Milliseconds(20);
  options.max_backoff = absl::Milliseconds(200);
  client::HubPublisher publisher(options);
  publisher.Attach(&activity);
  std::atomic<bool> stop{false};
  std::thread load([&] {
    for (uint64_t i = 0; !stop; ++i) {
      const std::string resource = "r" + std::to_string(i % 10);
      activity.AppendLogs(resource, {"line " + std::to_string(i)});
      activity.SetStatus(resource, i % 3 ? v1::HEALTHY : v1::DEPLOYING, "m" + std::to_string(i));
      absl::SleepFor(absl::Microseconds(500));
    }
  });

  // Every leg gets each fault at least twice, in a random order, at random
  // moments and for random lengths.
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  TcpProxy* legs[] = {&core_leg, &hub_leg, &client_leg};
  std::vector<std::pair<int, bool>> faults;  // (leg, stall rather than drop)
  for (int round = 0; round < 2; ++round) {
    for (int leg = 0; leg < 3; ++leg) {
      faults.push_back({leg, false});
      faults.push_back({leg, true});
    }
  }
  std::shuffle(faults.begin(), faults.end(), rng);
  for (auto [leg, stall] : faults) {
    client.Pump(absl::Milliseconds(std::uniform_int_distribution<int>(50, 300)(rng)));
    if (stall) {
      legs[leg]->SetStalled(true);
      client.Pump(absl::Milliseconds(std::uniform_int_distribution<int>(100, 600)(rng)));
      legs[leg]->SetStalled(false);
    } else {
      legs[leg]->DropAll();
    }
  }
  stop = true;
  load.join();
  ASSERT_TRUE(publisher.Flush(absl::Seconds(30)));
  const uint64_t published = publisher.stats().published;

  auto hub = stack.GetSnapshot("demo");
  ASSERT_TRUE(hub.ok());
  std::vector<v1::Event> history = HubHistory(stack, "demo", hub->epoch(), hub->seq());
  std::set<uint64_t> source_seqs;
  for (const v1::Event& e : history) {
    EXPECT_TRUE(source_seqs.insert(e.source_seq()).second) << "duplicate " << e.source_seq();
  }
  // Status updates repeating the current status are no-ops the hub drops;
  // every other published event is in the history exactly once.
  EXPECT_GT(source_seqs.size(), published / 2);
  EXPECT_EQ(*source_seqs.rbegin(), published);

  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (client.state.seq("demo") < hub->seq() && absl::Now() < deadline) client.Pump(absl::Milliseconds(200));
  EXPECT_EQ(client.state.seq("demo"), hub->seq());
  EXPECT_EQ(DiffSnapshots(*hub, client.state.project("demo").ToSnapshot()), "");
  EXPECT_GE(client.reconnects, 2);
}

TEST(NetworkFaultsTest, ACoreReachesAHubOverALongLink) {
  // 800 ms each way: every exchange, the HTTP/2 handshake first, takes
  // 1.6 s, longer than the publisher's reconnect backoff (its cap is 1 s).
  TestStack stack;
  ASSERT_TRUE(stack.StartHub().ok());
  TcpProxy link(stack.hub_port());
  link.SetDelay(std::chrono::milliseconds(800));
  client::HubPublisherOptions options;
  options.target = "127.0.0.1:" + std::to_string(link.port());
  options.token = stack.token();
  client::ActivityManager activity("far");
  client::HubPublisher publisher(std::move(options));
  publisher.Attach(&activity);
  activity.SetStatus("web", v1::HEALTHY);
  ASSERT_TRUE(publisher.Flush(absl::Seconds(30))) << "never connected over a 1.6 s round trip";
  auto snapshot = stack.GetSnapshot("far");
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_EQ(snapshot->seq(), 1u);
}

TEST(NetworkFaultsTest, KillNineOfTheGatewayUnderLoad) {
  TestStack stack;
  ASSERT_TRUE(stack.StartHub().ok());
  ASSERT_TRUE(stack.StartGateway({"--heartbeat-interval", "300ms"}).ok());
  std::vector<std::unique_ptr<ResilientClient>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<ResilientClient>(stack, stack.gateway_port(), "demo"));
    clients.back()->Connect();
  }
  auto demo = stack.StartDemo({"--interval", "5ms"});
  ASSERT_TRUE(demo.ok());
  for (int round = 0; round < 3; ++round) {
    for (auto& client : clients) client->Pump(absl::Milliseconds(150));
    ASSERT_EQ(stack.StopGateway(SIGKILL), 128 + SIGKILL);
    ASSERT_TRUE(stack.StartGateway({"--heartbeat-interval", "300ms"}).ok());  // same port
  }
  (*demo)->Signal(SIGINT);
  ASSERT_EQ((*demo)->Wait(absl::Seconds(10)), 0);
  auto hub = stack.GetSnapshot("demo");
  ASSERT_TRUE(hub.ok());
  for (auto& client : clients) {
    const absl::Time deadline = absl::Now() + absl::Seconds(15);
    while (client->state.seq("demo") < hub->seq() && absl::Now() < deadline) client->Pump(absl::Milliseconds(100));
    EXPECT_EQ(DiffSnapshots(*hub, client->state.project("demo").ToSnapshot()), "");
    // Two kills close together may be seen as one break.
    EXPECT_GE(client->reconnects, 1);
  }
}

TEST(NetworkFaultsTest, SeveralGatewaysOnOneHubStayConsistent) {
  TestStack stack;
  ASSERT_TRUE(stack.StartHub().ok());
  ASSERT_TRUE(stack.StartGateway().ok());
  const uint16_t first = stack.gateway_port();
  auto second = ChildProcess::Start(GatewayBinary(),
                                    {"--listen", "127.0.0.1:0", "--hub", stack.hub_address(), "--token-file",
                                     stack.token_file()},
                                    stack.dir().path(), stack.dir().File("gateway2.log"));
  ASSERT_TRUE(second.ok());
  auto line = (*second)->ReadLine(absl::Seconds(10));
  ASSERT_TRUE(line.ok());
  const uint16_t second_port = static_cast<uint16_t>(std::stoi(line->substr(line->rfind(':') + 1)));

  ResilientClient a(stack, first, "demo"), b(stack, second_port, "demo");
  a.Connect();
  b.Connect();
  auto demo = stack.StartDemo({"--interval", "10ms", "--loops", "3"});
  ASSERT_TRUE(demo.ok());
  while ((*demo)->running()) {
    a.Pump(absl::Milliseconds(50));
    b.Pump(absl::Milliseconds(50));
  }
  EXPECT_EQ((*demo)->Wait(absl::Seconds(1)), 0);
  auto hub = stack.GetSnapshot("demo");
  ASSERT_TRUE(hub.ok());
  for (ResilientClient* client : {&a, &b}) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (client->state.seq("demo") < hub->seq() && absl::Now() < deadline) client->Pump(absl::Milliseconds(100));
    EXPECT_EQ(DiffSnapshots(*hub, client->state.project("demo").ToSnapshot()), "");
  }
}

}  // namespace
}  // namespace nanokit::testing
