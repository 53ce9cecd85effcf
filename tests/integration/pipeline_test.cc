// The whole pipeline with real processes: nanokit demo -> nanokit-hub ->
// nanokit-gateway -> a WebSocket client.
#include <gtest/gtest.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "nanokit/bridge/v1/websocket.pb.h"
#include "tests/support/client_state.h"
#include "tests/support/stack.h"

namespace nanokit::testing {
namespace {

namespace v1 = nanokit::bridge::v1;

// Reads until the client has reached the hub's seq for project, then
// compares their states.
void ExpectConverged(WsClient& client, ClientState& state, TestStack& stack, const std::string& project) {
  auto hub = stack.GetSnapshot(project);
  ASSERT_TRUE(hub.ok()) << hub.status();
  while (state.seq(project) < hub->seq()) {
    auto message = client.ReadMessage(absl::Seconds(10));
    ASSERT_TRUE(message.ok()) << message.status() << " at seq " << state.seq(project) << " of " << hub->seq();
    ASSERT_TRUE(state.Apply(*message).ok());
  }
  EXPECT_EQ(DiffSnapshots(*hub, state.project(project).ToSnapshot()), "");
}

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(stack_.StartHub({"--heartbeat-interval", "500ms"}).ok());
    ASSERT_TRUE(stack_.StartGateway({"--heartbeat-interval", "500ms"}).ok());
  }
  TestStack stack_;
};

TEST_F(PipelineTest, DemoReachesTheDashboardAsSnapshotThenEveryEventType) {
  auto client = stack_.ConnectClient();
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ((*client)->negotiated_subprotocol(), "nanokit.v1");
  ASSERT_TRUE((*client)->Send(SubscribeMessage("demo")).ok());
  ClientState state;
  auto first = (*client)->ReadMessage();
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->type(), "snapshot");
  EXPECT_FALSE(first->epoch().empty());
  ASSERT_TRUE(state.Apply(*first).ok());

  auto demo = stack_.StartDemo({"--interval", "20ms", "--loops", "2"});
  ASSERT_TRUE(demo.ok());
  std::set<std::string> types;
  bool saw_core_connected = false;
  auto all_seen = (*client)->ReadUntil(
      [&](const v1::ServerMessage& m) {
        EXPECT_TRUE(state.Apply(m).ok()) << state.Apply(m);
        types.insert(m.type());
        if (m.type() == "heartbeat" && m.heartbeat().projects_size() > 0 && m.heartbeat().projects(0).core_connected()) {
          saw_core_connected = true;
        }
        return types.count("status_update") && types.count("log_stream") && types.count("reconcile_start") &&
               types.count("reconcile_end") && saw_core_connected;
      },
      absl::Seconds(30));
  ASSERT_TRUE(all_seen.ok()) << all_seen.status();

  EXPECT_EQ((*demo)->Wait(absl::Seconds(30)), 0);
  ExpectConverged(**client, state, stack_, "demo");
  EXPECT_EQ(state.project("demo").resource_count(), 5u);

  // The core is gone: the dashboard hears it without waiting for a tick.
  auto gone = (*client)->ReadUntil(
      [](const v1::ServerMessage& m) {
        return m.type() == "heartbeat" && m.heartbeat().projects_size() > 0 &&
               !m.heartbeat().projects(0).core_connected();
      },
      absl::Seconds(5));
  ASSERT_TRUE(gone.ok()) << gone.status();
  EXPECT_TRUE(gone->heartbeat().hub_connected());
  EXPECT_GT(gone->heartbeat().projects(0).core_changed_at().seconds(), 0);
}

TEST_F(PipelineTest, EachClientGetsOnlyItsProjectsAndConverges) {
  auto both = stack_.ConnectClient();
  auto one = stack_.ConnectClient();
  ASSERT_TRUE(both.ok() && one.ok());
  ASSERT_TRUE((*both)->Send(SubscribeMessage("alpha")).ok());
  ASSERT_TRUE((*both)->Send(SubscribeMessage("beta")).ok());
  ASSERT_TRUE((*one)->Send(SubscribeMessage("beta")).ok());
  ClientState both_state, one_state;
  for (int i = 0; i < 2; ++i) {
    auto m = (*both)->ReadMessage();
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->type(), "snapshot");
    ASSERT_TRUE(both_state.Apply(*m).ok());
  }
  auto m = (*one)->ReadMessage();
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE(one_state.Apply(*m).ok());

  for (const char* project : {"alpha", "beta"}) {
    for (const char* status : {"PENDING", "DEPLOYING", "HEALTHY"}) {
      auto r = stack_.Nanokit({"emit", "status", "--project", project, "--resource", "web", "--status", status});
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    auto r = stack_.Nanokit({"emit", "log", "--project", project, "--resource", "web", "hello", "world"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  ExpectConverged(**both, both_state, stack_, "alpha");
  ExpectConverged(**both, both_state, stack_, "beta");
  ExpectConverged(**one, one_state, stack_, "beta");
  EXPECT_FALSE(one_state.has("alpha"));
  EXPECT_EQ(one_state.project("beta").Find("web")->status(), v1::HEALTHY);
}

// A dashboard that reconnects subscribes to all its projects at once: the
// messages reach the gateway in one segment, and each gets its answer (the
// gateway reads one frame at a time, and waits for more only when nothing
// is left of what arrived).
TEST_F(PipelineTest, MessagesArrivingTogetherAreEachAnswered) {
  for (bool fragmented : {false, true}) {
    auto client = stack_.ConnectClient();
    ASSERT_TRUE(client.ok());
    std::vector<std::string> subscribes;
    for (const char* project : {"alpha", "beta", "gamma"}) {
      subscribes.push_back(absl::StrCat(R"({"type":"subscribe","project":")", project, R"("})"));
    }
    ASSERT_TRUE((*client)->SendTextsTogether(subscribes, fragmented).ok());
    std::set<std::string> snapshots;
    for (int i = 0; i < 3; ++i) {
      auto m = (*client)->ReadUntil([](const v1::ServerMessage& m) { return m.type() != "heartbeat"; },
                                    absl::Seconds(5));
      ASSERT_TRUE(m.ok()) << m.status() << " after " << snapshots.size() << " snapshots, fragmented " << fragmented;
      EXPECT_EQ(m->type(), "snapshot");
      snapshots.insert(m->snapshot().project());
    }
    EXPECT_EQ(snapshots, (std::set<std::string>{"alpha", "beta", "gamma"}));
  }
}

TEST_F(PipelineTest, UnsubscribeStopsTheProjectsMessages) {
  auto client = stack_.ConnectClient();
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->Send(SubscribeMessage("demo")).ok());
  ASSERT_TRUE((*client)->ReadMessage().ok());
  v1::ClientMessage unsubscribe;
  unsubscribe.set_type("unsubscribe");
  unsubscribe.set_project("demo");
  ASSERT_TRUE((*client)->Send(unsubscribe).ok());
  // The unsubscribe is processed before the next frame is read.
  ASSERT_EQ(stack_.Nanokit({"emit", "status", "--resource", "web", "--status", "HEALTHY"}).exit_code, 0);
  auto next = (*client)->ReadUntil([](const v1::ServerMessage& m) { return m.type() != "heartbeat"; },
                                   absl::Seconds(2));
  EXPECT_EQ(next.status().code(), absl::StatusCode::kDeadlineExceeded) << next->type();
}

TEST_F(PipelineTest, HealthzReportsTheHubConnection) {
  auto client = stack_.ConnectClient();
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->Send(SubscribeMessage("demo")).ok());
  ASSERT_TRUE((*client)->ReadMessage().ok());
  auto health = HttpGet(stack_.gateway_port(), "/healthz");
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body.substr(0, health->body.find(",\"heartbeatIntervalMs\"")),
            "{\"status\":\"ok\",\"hubConnected\":true,\"authRequired\":true,\"signIn\":null")
      << health->body;
  auto missing = HttpGet(stack_.gateway_port(), "/nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
}

}  // namespace
}  // namespace nanokit::testing
