// Deduplication without flicker, and bounded slow consumers: conflation of
// status updates per connection, batches, and the log bound.
#include <gtest/gtest.h>

#include <google/protobuf/util/json_util.h>

#include <atomic>
#include <thread>

#include "core_client/hub_publisher.h"
#include "nanokit/bridge/v1/ingest.grpc.pb.h"
#include "tests/support/client_state.h"
#include "tests/support/sanitizers.h"
#include "tests/support/stack.h"

namespace nanokit::testing {
namespace {

namespace v1 = nanokit::bridge::v1;

class FlowTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> gateway_flags = {}) {
    ASSERT_TRUE(stack_.StartHub({"--in-memory", "--history-events", "2000"}).ok());
    ASSERT_TRUE(stack_.StartGateway(gateway_flags).ok());
  }

  std::unique_ptr<WsClient> Subscribe(ClientState* state) {
    auto client = stack_.ConnectClient();
    EXPECT_TRUE(client.ok());
    EXPECT_TRUE((*client)->SendText(R"({"type":"subscribe","project":"demo"})").ok());
    auto snapshot = (*client)->ReadMessage();
    EXPECT_TRUE(snapshot.ok());
    EXPECT_TRUE(state->Apply(*snapshot).ok());
    return *std::move(client);
  }

  // Publishes one request straight through IngestService.
  void PublishRaw(const std::vector<v1::Event>& events) {
    auto ingest = v1::IngestService::NewStub(stack_.HubChannel());
    grpc::ClientContext context;
    stack_.Authorize(&context);
    auto stream = ingest->Publish(&context);
    v1::PublishRequest request;
    request.set_source("raw-" + std::to_string(next_source_++));
    for (const v1::Event& e : events) *request.add_events() = e;
    ASSERT_TRUE(stream->Write(request));
    v1::PublishResponse response;
    ASSERT_TRUE(stream->Read(&response));
    stream->WritesDone();
    ASSERT_TRUE(stream->Finish().ok());
  }

  // Reads (merging) until the client reaches the hub's seq, then compares.
  void Converge(WsClient& client, ClientState& state, std::vector<v1::ServerMessage>* seen = nullptr) {
    auto hub = stack_.GetSnapshot("demo");
    ASSERT_TRUE(hub.ok());
    while (state.seq("demo") < hub->seq()) {
      auto m = client.ReadMessage(absl::Seconds(15));
      ASSERT_TRUE(m.ok()) << m.status() << " at " << state.seq("demo") << " of " << hub->seq();
      ASSERT_TRUE(state.Apply(*m).ok()) << state.Apply(*m);
      if (seen) seen->push_back(*m);
    }
    EXPECT_EQ(DiffSnapshots(*hub, state.project("demo").ToSnapshot()), "");
  }

  // Reads whole frames (a batch stays one) until the client reaches the
  // hub's seq, merging them; heartbeats are left out of the result.
  std::vector<v1::ServerMessage> ReadFramesToHubSeq(WsClient& client, ClientState& state) {
    std::vector<v1::ServerMessage> frames;
    const uint64_t target = stack_.GetSnapshot("demo")->seq();
    while (state.seq("demo") < target) {
      auto text = client.Read(absl::Seconds(5));
      EXPECT_TRUE(text.ok()) << text.status();
      if (!text.ok()) break;
      v1::ServerMessage frame;
      EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(*text, &frame).ok());
      auto applied = state.Apply(frame);
      EXPECT_TRUE(applied.ok()) << applied;
      if (!applied.ok()) break;
      if (frame.type() != "heartbeat") frames.push_back(std::move(frame));
    }
    return frames;
  }

  client::HubPublisherOptions PublisherOptions() {
    client::HubPublisherOptions options;
    options.target = stack_.hub_address();
    options.token = stack_.token();
    return options;
  }

  TestStack stack_;
  int next_source_ = 0;
};

v1::Event Status(const std::string& resource, v1::Status status, const std::string& message, uint64_t source_seq) {
  v1::Event e;
  e.set_project("demo");
  e.set_source_seq(source_seq);
  e.mutable_status_update()->set_resource_id(resource);
  e.mutable_status_update()->set_status(status);
  e.mutable_status_update()->set_message(message);
  return e;
}

TEST_F(FlowTest, ThousandRapidUpdatesArriveAsFarFewerMessagesEndingAtTheLast) {
  Start();
  ClientState state;
  auto client = Subscribe(&state);
  client::ActivityManager activity("demo");
  client::HubPublisher publisher(PublisherOptions());
  publisher.Attach(&activity);
  for (int i = 0; i < 1000; ++i) activity.SetStatus("web", i % 2 ? v1::DEPLOYING : v1::HEALTHY, std::to_string(i));
  ASSERT_TRUE(publisher.Flush(absl::Seconds(10)));
  std::vector<v1::ServerMessage> seen;
  Converge(*client, state, &seen);
  int updates = 0;
  for (const auto& m : seen) updates += m.type() == "status_update";
  EXPECT_LT(updates, 100) << "1000 updates should be conflated";
  EXPECT_GE(updates, 1);
  EXPECT_EQ(state.project("demo").Find("web")->message(), "999");
  EXPECT_EQ(stack_.GetSnapshot("demo")->seq(), 1000u);
}

TEST_F(FlowTest, ARemovalIsNeverConflatedAwayNorALaterStatusAcrossIt) {
  Start();
  ClientState state;
  auto client = Subscribe(&state);
  v1::Event log;
  log.set_project("demo");
  log.set_source_seq(2);
  log.mutable_log_stream()->set_resource_id("web");
  log.mutable_log_stream()->add_lines("output of the old web");
  v1::Event removed = Status("web", v1::UNKNOWN, "", 3);
  removed.mutable_status_update()->set_removed(true);
  // One request: one hub batch, queued for the connection in one step.
  PublishRaw({Status("web", v1::HEALTHY, "up", 1), log, removed, Status("web", v1::PENDING, "again", 4)});
  std::vector<v1::ServerMessage> seen;
  Converge(*client, state, &seen);  // the old web's logs must be gone, as in the hub
  int removals = 0;
  for (const auto& m : seen) removals += m.type() == "status_update" && m.status_update().removed();
  EXPECT_EQ(removals, 1);
  EXPECT_EQ(state.project("demo").Find("web")->status(), v1::PENDING);
}

TEST_F(FlowTest, RepeatingTheSameStatusIsNotRebroadcast) {
  Start();
  ClientState state;
  auto client = Subscribe(&state);
  PublishRaw({Status("web", v1::HEALTHY, "up", 1), Status("web", v1::HEALTHY, "up", 2)});
  PublishRaw({Status("web", v1::HEALTHY, "up", 1)});
  EXPECT_EQ(stack_.GetSnapshot("demo")->seq(), 1u);
  auto first = client->ReadUntil([](const v1::ServerMessage& m) { return m.type() != "heartbeat"; }, absl::Seconds(5));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->type(), "status_update");
  auto second = client->ReadUntil([](const v1::ServerMessage& m) { return m.type() != "heartbeat"; },
                                  absl::Seconds(1));
  EXPECT_EQ(second.status().code(), absl::StatusCode::kDeadlineExceeded) << second->DebugString();
}

TEST_F(FlowTest, FiftyResourcesChangingAtOnceArriveInOneBatch) {
  Start();
  ClientState state;
  auto client = Subscribe(&state);
  std::vector<v1::Event> events;
  for (uint64_t i = 0; i < 50; ++i) events.push_back(Status("svc" + std::to_string(i), v1::HEALTHY, "ok", i + 1));
  PublishRaw(events);
  // The 50 status updates must share one frame.
  int frames_with_updates = 0;
  int updates = 0;
  for (const v1::ServerMessage& frame : ReadFramesToHubSeq(*client, state)) {
    int in_frame = frame.type() == "status_update" ? 1 : 0;
    for (const auto& m : frame.messages()) in_frame += m.type() == "status_update";
    frames_with_updates += in_frame > 0;
    updates += in_frame;
  }
  EXPECT_EQ(frames_with_updates, 1);
  EXPECT_EQ(updates, 50);
  EXPECT_EQ(state.project("demo").resource_count(), 50u);
}

TEST_F(FlowTest, ABigBacklogLeavesInBatchesOfAtMost256InOrder) {
  Start();
  ClientState state;
  auto client = Subscribe(&state);
  std::vector<v1::Event> events;
  for (uint64_t i = 0; i < 700; ++i) events.push_back(Status("svc" + std::to_string(i), v1::HEALTHY, "ok", i + 1));
  PublishRaw(events);  // one hub batch: 700 messages for the connection at once
  const auto frames = ReadFramesToHubSeq(*client, state);  // merged in order, no duplicates
  size_t largest = 0;
  for (const v1::ServerMessage& frame : frames) largest = std::max(largest, static_cast<size_t>(frame.messages_size()));
  EXPECT_LE(largest, 256u);
  EXPECT_GE(frames.size(), 3u);
  EXPECT_LE(frames.size(), 4u);
  EXPECT_EQ(state.project("demo").resource_count(), 700u);
}

TEST_F(FlowTest, ClientsJoiningDuringAFloodGetEachChangeAfterTheirReplyOnceAndInOrder) {
  // A subscriber's reply goes through its shard's feed with the frames: none
  // may come before it, be skipped or come twice (ClientState rejects a seq
  // that does not increase), whichever shard and pacing.
  Start();
  client::ActivityManager activity("demo");
  client::HubPublisher publisher(PublisherOptions());
  publisher.Attach(&activity);
  std::atomic<bool> done{false};
  std::thread core([&] {
    for (int i = 0; !done.load(); ++i) {
      activity.SetStatus("svc" + std::to_string(i % 50), i % 2 ? v1::HEALTHY : v1::DEPLOYING, std::to_string(i));
      if (i % 20 == 0) absl::SleepFor(absl::Milliseconds(1));
    }
  });
  std::vector<ClientState> states(8);
  std::vector<std::unique_ptr<WsClient>> clients;
  for (ClientState& state : states) {
    clients.push_back(Subscribe(&state));
    absl::SleepFor(absl::Milliseconds(30));
  }
  done = true;
  core.join();
  ASSERT_TRUE(publisher.Flush(absl::Seconds(20)));
  for (size_t i = 0; i < clients.size(); ++i) Converge(*clients[i], states[i]);
  EXPECT_EQ(states.back().project("demo").resource_count(), 50u);
}

TEST_F(FlowTest, AClientThatStopsReadingLosesOldLogLinesAndIsToldHowMany) {
  Start({"--max-log-bytes", "200000"});
  ClientState stalled_state, reader_state;
  auto stalled = Subscribe(&stalled_state);
  auto reader = Subscribe(&reader_state);
  client::ActivityManager activity("demo");
  client::HubPublisher publisher(PublisherOptions());
  publisher.Attach(&activity);
  constexpr int kEvents = 2000;
  constexpr int kLinesPerEvent = 20;
  const std::string padding(200, '.');
  const size_t rss_before = ResidentBytes(stack_.gateway()->pid());
  // About 8 MB of output, more than the stalled socket and the bound hold.
  for (int i = 0; i < kEvents; ++i) {
    std::vector<std::string> lines;
    for (int j = 0; j < kLinesPerEvent; ++j) lines.push_back(std::to_string(i * kLinesPerEvent + j) + padding);
    activity.AppendLogs("web", std::move(lines));
    if (i % 200 == 0) {
      // The reading client keeps up all along.
      ASSERT_TRUE(publisher.Flush(absl::Seconds(10)));
      Converge(*reader, reader_state);
    }
  }
  ASSERT_TRUE(publisher.Flush(absl::Seconds(20)));
  Converge(*reader, reader_state);
  const size_t rss_after = ResidentBytes(stack_.gateway()->pid());
#ifndef NANOKIT_ASAN
  EXPECT_LT(rss_after, rss_before + 64 * 1024 * 1024) << rss_before << " -> " << rss_after;
#else
  (void)rss_before;
  (void)rss_after;
#endif

  // Now the stalled client reads: every line either arrives or is counted.
  uint64_t received = 0, dropped = 0;
  std::vector<v1::ServerMessage> seen;
  Converge(*stalled, stalled_state, &seen);
  for (const auto& m : seen) {
    if (m.type() != "log_stream") continue;
    received += static_cast<uint64_t>(m.log_stream().lines_size());
    dropped += m.log_stream().dropped_lines();
  }
  EXPECT_GT(dropped, 0u);
  EXPECT_EQ(received + dropped, static_cast<uint64_t>(kEvents * kLinesPerEvent));
  EXPECT_EQ(DiffSnapshots(*stack_.GetSnapshot("demo"), stalled_state.project("demo").ToSnapshot()), "");
}

TEST_F(FlowTest, AClientWhoseWritesStallIsClosedWith1013) {
  // Bounds high enough that everything goes to the socket, which stalls.
  Start({"--write-timeout", "1s", "--heartbeat-interval", "200ms", "--max-log-bytes", "100000000",
         "--max-queued-bytes", "200000000"});
  ClientState stalled_state;
  auto stalled = Subscribe(&stalled_state);
  client::ActivityManager activity("demo");
  client::HubPublisher publisher(PublisherOptions());
  publisher.Attach(&activity);
  // Far more than loopback's socket buffers hold, so a write stays pending.
  const std::string padding(4000, '.');
  for (int i = 0; i < 10000; ++i) activity.AppendLogs("web", {std::to_string(i) + padding});
  ASSERT_TRUE(publisher.Flush(absl::Seconds(20)));
  absl::SleepFor(absl::Seconds(2));
  auto end = stalled->ReadUntil([](const v1::ServerMessage&) { return false; }, absl::Seconds(20));
  EXPECT_EQ(end.status().code(), absl::StatusCode::kUnavailable) << end.status();
  EXPECT_NE(stack_.GatewayLog().find("has not taken a write"), std::string::npos) << stack_.GatewayLog();
}

}  // namespace
}  // namespace nanokit::testing
