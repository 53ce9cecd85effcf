// The durable hub under faults: kill -9 under a steady publish load loses no
// acknowledged event, duplicates none, and keeps its epoch, so gateways and
// dashboards continue without a full snapshot.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "core_client/hub_publisher.h"
#include "tests/support/client_state.h"
#include "tests/support/stack.h"

namespace nanokit::testing {
namespace {

namespace v1 = nanokit::bridge::v1;

TEST(DurabilityTest, KillNineUnderLoadLosesNoAcknowledgedEventAndDuplicatesNone) {
  TestStack stack;
  ASSERT_TRUE(stack.StartHub({"--heartbeat-interval", "500ms", "--snapshot-every", "500"}).ok());
  ASSERT_TRUE(stack.StartGateway({"--heartbeat-interval", "500ms"}).ok());
  auto client = stack.ConnectClient();
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->SendText(R"({"type":"subscribe","project":"demo"})").ok());
  ClientState state;
  auto first = (*client)->ReadMessage();
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(state.Apply(*first).ok());

  client::ActivityManager activity("demo");
  client::HubPublisherOptions options;
  options.target = stack.hub_address();
  options.token = stack.token();
  options.initial_backoff = absl::Milliseconds(50);
  options.max_backoff = absl::Milliseconds(300);
  client::HubPublisher publisher(options);
  publisher.Attach(&activity);

  std::atomic<bool> stop{false};
  std::thread load([&] {
    for (uint64_t i = 0; !stop; ++i) {
      const std::string resource = "r" + std::to_string(i % 20);
      activity.AppendLogs(resource, {"line " + std::to_string(i)});
      if (i % 3 == 0) activity.SetStatus(resource, i % 2 ? v1::HEALTHY : v1::DEPLOYING, "m" + std::to_string(i));
      absl::SleepFor(absl::Microseconds(200));
    }
  });
  absl::SleepFor(absl::Seconds(1));
  const uint64_t acked_before_kill = publisher.stats().acknowledged;
  ASSERT_EQ(stack.StopHub(SIGKILL), 128 + SIGKILL);
  absl::SleepFor(absl::Milliseconds(300));
  ASSERT_TRUE(stack.StartHub({"--heartbeat-interval", "500ms", "--snapshot-every", "500"}).ok());
  absl::SleepFor(absl::Seconds(1));
  stop = true;
  load.join();
  ASSERT_TRUE(publisher.Flush(absl::Seconds(30)));
  const uint64_t published = publisher.stats().published;
  EXPECT_GT(acked_before_kill, 100u);
  EXPECT_GT(published, acked_before_kill);

  auto hub = stack.GetSnapshot("demo");
  ASSERT_TRUE(hub.ok());
  EXPECT_EQ(hub->epoch(), first->epoch()) << "a durable hub keeps its epoch";
  // Exactly once into the history: every published event, once, in order.
  std::vector<v1::Event> history = HubHistory(stack, "demo", hub->epoch(), hub->seq());
  ASSERT_EQ(history.size(), hub->seq());
  std::set<uint64_t> source_seqs;
  for (size_t i = 0; i < history.size(); ++i) {
    ASSERT_EQ(history[i].seq(), i + 1);
    EXPECT_TRUE(source_seqs.insert(history[i].source_seq()).second) << "duplicate " << history[i].source_seq();
  }
  std::string missing;
  for (uint64_t seq = 1, shown = 0; seq <= published && shown < 10; ++seq) {
    if (!source_seqs.contains(seq)) missing += " " + std::to_string(seq), ++shown;
  }
  EXPECT_EQ(source_seqs.size(), published) << "missing source_seqs:" << missing << " (acknowledged before the kill: "
                                           << acked_before_kill << ")";
  EXPECT_EQ(*source_seqs.rbegin(), published);

  // The dashboard saw the same, without a second snapshot.
  while (state.seq("demo") < hub->seq()) {
    auto m = (*client)->ReadMessage(absl::Seconds(10));
    ASSERT_TRUE(m.ok()) << m.status() << " at " << state.seq("demo") << " of " << hub->seq();
    ASSERT_TRUE(state.Apply(*m).ok()) << state.Apply(*m);
  }
  EXPECT_EQ(DiffSnapshots(*hub, state.project("demo").ToSnapshot()), "");
  EXPECT_EQ(state.snapshots(), 1);
}

TEST(DurabilityTest, ACleanRestartKeepsStateAndEpoch) {
  TestStack stack;
  ASSERT_TRUE(stack.StartHub().ok());
  ASSERT_EQ(stack.Nanokit({"emit", "status", "--resource", "web", "--status", "HEALTHY"}).exit_code, 0);
  auto before = stack.GetSnapshot("demo");
  ASSERT_TRUE(before.ok());
  ASSERT_EQ(stack.StopHub(SIGTERM), 0);
  ASSERT_TRUE(stack.StartHub().ok());
  auto after = stack.GetSnapshot("demo");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->epoch(), before->epoch());
  EXPECT_EQ(DiffSnapshots(*before, *after), "");
}

TEST(DurabilityTest, ACorruptDataDirIsAClearErrorAtStart) {
  TestStack stack;
  const std::string dir = stack.dir().File("broken");
  ASSERT_EQ(system(("mkdir -p " + dir + " && head -c 8192 /dev/urandom > " + dir + "/hub.db").c_str()), 0);
  auto r = RunCommand(HubBinary(), {"--listen", "127.0.0.1:0", "--token-file", stack.token_file(), "--data-dir", dir});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--data-dir"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("hub.db"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

}  // namespace
}  // namespace nanokit::testing
