// Subscribe with (epoch, afterSeq): "resumed" with exactly the missed
// changes when the gateway can serve them, else a snapshot.
#include <gtest/gtest.h>

#include "tests/support/client_state.h"
#include "tests/support/stack.h"

namespace nanokit::testing {
namespace {

namespace v1 = nanokit::bridge::v1;

class ResumeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(stack_.StartHub({"--heartbeat-interval", "500ms"}).ok());
    ASSERT_TRUE(stack_.StartGateway({"--heartbeat-interval", "500ms"}).ok());
  }
  void Emit(const std::string& resource, const std::string& status) {
    auto r = stack_.Nanokit({"emit", "status", "--resource", resource, "--status", status});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  // Next message that is not a heartbeat.
  absl::StatusOr<v1::ServerMessage> Next(WsClient& client) {
    return client.ReadUntil([](const v1::ServerMessage& m) { return m.type() != "heartbeat"; }, absl::Seconds(10));
  }
  TestStack stack_;
};

TEST_F(ResumeTest, ResumeGetsExactlyTheMissedChangesThenLiveOnes) {
  ClientState state;
  {
    auto client = stack_.ConnectClient();
    ASSERT_TRUE(client.ok());
    ASSERT_TRUE((*client)->Send(SubscribeMessage("demo")).ok());
    auto snapshot = Next(**client);
    ASSERT_TRUE(snapshot.ok());
    ASSERT_TRUE(state.Apply(*snapshot).ok());
    Emit("web", "PENDING");
    Emit("web", "DEPLOYING");
    Emit("db", "PENDING");
    for (int i = 0; i < 3; ++i) {
      auto m = Next(**client);
      ASSERT_TRUE(m.ok());
      ASSERT_TRUE(state.Apply(*m).ok()) << state.Apply(*m);
    }
    ASSERT_EQ(state.seq("demo"), 3u);
  }  // the connection drops
  Emit("web", "HEALTHY");
  Emit("db", "DEPLOYING");
  Emit("db", "FAILED");
  Emit("web", "HEALTHY");  // a no-op: no seq, not sent

  auto client = stack_.ConnectClient();
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->Send(SubscribeMessage("demo", state.epoch("demo"), state.seq("demo"))).ok());
  auto resumed = Next(**client);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  ASSERT_EQ(resumed->type(), "resumed");
  EXPECT_EQ(resumed->seq(), 6u);
  EXPECT_EQ(resumed->epoch(), state.epoch("demo"));
  ASSERT_EQ(resumed->messages_size(), 3);
  EXPECT_EQ(resumed->messages(0).seq(), 4u);
  EXPECT_EQ(resumed->messages(2).status_update().status(), v1::FAILED);
  ASSERT_TRUE(state.Apply(*resumed).ok()) << state.Apply(*resumed);

  Emit("db", "HEALTHY");
  auto live = Next(**client);
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(live->type(), "status_update");
  ASSERT_TRUE(state.Apply(*live).ok());
  EXPECT_EQ(DiffSnapshots(*stack_.GetSnapshot("demo"), state.project("demo").ToSnapshot()), "");
  EXPECT_EQ(state.snapshots(), 1);
  EXPECT_EQ(state.resumes(), 1);
}

TEST_F(ResumeTest, ResumeAtTheCurrentSeqIsAnEmptyResumed) {
  Emit("web", "HEALTHY");
  auto client = stack_.ConnectClient();
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->Send(SubscribeMessage("demo")).ok());
  auto snapshot = Next(**client);
  ASSERT_TRUE(snapshot.ok());
  ASSERT_TRUE((*client)->Send(SubscribeMessage("demo", snapshot->epoch(), snapshot->seq())).ok());
  auto resumed = Next(**client);
  ASSERT_TRUE(resumed.ok());
  EXPECT_EQ(resumed->type(), "resumed");
  EXPECT_EQ(resumed->messages_size(), 0);
  EXPECT_EQ(resumed->seq(), snapshot->seq());
}

TEST_F(ResumeTest, AnUnknownEpochOrFutureSeqGetsASnapshot) {
  Emit("web", "HEALTHY");
  auto client = stack_.ConnectClient();
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->Send(SubscribeMessage("demo", "not-an-epoch", 0)).ok());
  auto first = Next(**client);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->type(), "snapshot");
  ASSERT_TRUE((*client)->Send(SubscribeMessage("demo", first->epoch(), first->seq() + 100)).ok());
  auto second = Next(**client);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->type(), "snapshot");
  EXPECT_EQ(second->seq(), 1u);
}

TEST_F(ResumeTest, AfterAGatewayRestartClientsResumeOrResync) {
  Emit("web", "HEALTHY");
  auto client = stack_.ConnectClient();
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->Send(SubscribeMessage("demo")).ok());
  auto snapshot = Next(**client);
  ASSERT_TRUE(snapshot.ok());
  ASSERT_EQ(stack_.StopGateway(SIGKILL), 128 + SIGKILL);
  ASSERT_TRUE(stack_.StartGateway({"--heartbeat-interval", "500ms"}).ok());

  // Up to date: nothing missed, nothing to resend.
  auto again = stack_.ConnectClient();
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE((*again)->Send(SubscribeMessage("demo", snapshot->epoch(), snapshot->seq())).ok());
  auto reply = Next(**again);
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->type(), "resumed");
  EXPECT_EQ(reply->seq(), snapshot->seq());

  // Behind what the new gateway holds: a snapshot, never a gap.
  Emit("db", "PENDING");
  auto behind = stack_.ConnectClient();
  ASSERT_TRUE(behind.ok());
  ASSERT_TRUE((*behind)->Send(SubscribeMessage("demo", snapshot->epoch(), 0)).ok());
  auto fresh = Next(**behind);
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(fresh->type(), "snapshot");
  EXPECT_EQ(fresh->seq(), 2u);
}

TEST(HubRestartTest, AnInMemoryHubRestartsWithANewEpochAndEverySubscriberResyncs) {
  TestStack stack_;
  ASSERT_TRUE(stack_.StartHub({"--in-memory", "--heartbeat-interval", "500ms"}).ok());
  ASSERT_TRUE(stack_.StartGateway({"--heartbeat-interval", "500ms"}).ok());
  auto Emit = [&](const std::string& resource, const std::string& status) {
    ASSERT_EQ(stack_.Nanokit({"emit", "status", "--resource", resource, "--status", status}).exit_code, 0);
  };
  auto Next = [](WsClient& client) {
    return client.ReadUntil([](const v1::ServerMessage& m) { return m.type() != "heartbeat"; }, absl::Seconds(10));
  };
  Emit("web", "HEALTHY");
  auto client = stack_.ConnectClient();
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->Send(SubscribeMessage("demo")).ok());
  ClientState state;
  auto snapshot = Next(**client);
  ASSERT_TRUE(snapshot.ok());
  ASSERT_TRUE(state.Apply(*snapshot).ok());

  ASSERT_EQ(stack_.StopHub(SIGKILL), 128 + SIGKILL);
  // The gateway keeps serving, and says the hub is gone.
  auto down = (*client)->ReadUntil(
      [](const v1::ServerMessage& m) { return m.type() == "heartbeat" && !m.heartbeat().hub_connected(); },
      absl::Seconds(10));
  ASSERT_TRUE(down.ok()) << down.status();

  ASSERT_TRUE(stack_.StartHub({"--in-memory", "--heartbeat-interval", "500ms"}).ok());  // same port, a new epoch
  Emit("db", "DEPLOYING");
  auto resync = (*client)->ReadUntil([](const v1::ServerMessage& m) { return m.type() == "snapshot"; },
                                     absl::Seconds(15));
  ASSERT_TRUE(resync.ok()) << resync.status();
  EXPECT_NE(resync->epoch(), snapshot->epoch());
  ASSERT_TRUE(state.Apply(*resync).ok());
  auto hub = stack_.GetSnapshot("demo");
  ASSERT_TRUE(hub.ok());
  while (state.seq("demo") < hub->seq()) {
    auto m = (*client)->ReadMessage(absl::Seconds(10));
    ASSERT_TRUE(m.ok());
    ASSERT_TRUE(state.Apply(*m).ok());
  }
  EXPECT_EQ(DiffSnapshots(*hub, state.project("demo").ToSnapshot()), "");
}

}  // namespace
}  // namespace nanokit::testing
