// The durable store on a real SQLite database in a temporary folder.
#include "hub/sqlite_store.h"

#include <gtest/gtest.h>

#include <fstream>

#include "hub/hub.h"
#include "tests/support/client_state.h"
#include "tests/support/stack.h"

namespace nanokit::hub {
namespace {

namespace v1 = nanokit::bridge::v1;

v1::PublishRequest Logs(uint64_t first_source_seq, int count) {
  v1::PublishRequest request;
  for (int i = 0; i < count; ++i) {
    v1::Event* e = request.add_events();
    e->set_project("demo");
    e->set_source_seq(first_source_seq + static_cast<uint64_t>(i));
    e->mutable_status_update()->set_resource_id("r" + std::to_string(i % 3));
    e->mutable_status_update()->set_status(v1::DEPLOYING);
    e->mutable_status_update()->set_message(std::to_string(first_source_seq + static_cast<uint64_t>(i)));
  }
  return request;
}

HubOptions SmallOptions() {
  HubOptions options;
  options.project.snapshot_every = 10;
  options.project.history_events = 5;
  return options;
}

TEST(SqliteStoreTest, AHubRestoresStateSeqEpochAndSources) {
  testing::TempDir dir;
  v1::ProjectSnapshot before;
  {
    auto store = SqliteStore::Open(dir.path());
    ASSERT_TRUE(store.ok()) << store.status();
    Hub hub(SmallOptions(), *std::move(store));
    ASSERT_TRUE(hub.Recover().ok());
    hub.Start();
    ASSERT_EQ(*hub.PublishAndWait("core", Logs(1, 17)), 17u);
    ASSERT_EQ(*hub.PublishAndWait("core", Logs(18, 8)), 25u);
    before = *hub.Snapshot("demo");
  }
  auto store = SqliteStore::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status();
  Hub hub(SmallOptions(), *std::move(store));
  ASSERT_TRUE(hub.Recover().ok());
  hub.Start();
  v1::ProjectSnapshot after = *hub.Snapshot("demo");
  EXPECT_EQ(after.seq(), 25u);
  EXPECT_EQ(after.epoch(), before.epoch());
  EXPECT_EQ(testing::DiffSnapshots(before, after), "");
  // A retry of what was committed before the restart is still a duplicate.
  EXPECT_EQ(*hub.PublishAndWait("core", Logs(20, 3)), 25u);
  EXPECT_EQ(hub.Snapshot("demo")->seq(), 25u);
}

TEST(SqliteStoreTest, OldEventsAreForgottenBehindASnapshot) {
  testing::TempDir dir;
  {
    Hub hub(SmallOptions(), *SqliteStore::Open(dir.path()));
    ASSERT_TRUE(hub.Recover().ok());
    hub.Start();
    for (uint64_t i = 0; i < 10; ++i) ASSERT_TRUE(hub.PublishAndWait("core", Logs(1 + i * 5, 5)).ok());
  }
  auto store = SqliteStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  auto recovered = (*store)->Recover();
  ASSERT_TRUE(recovered.ok());
  const StoredProject& project = recovered->projects.at("demo");
  ASSERT_TRUE(project.snapshot.has_value());
  EXPECT_EQ(project.snapshot->seq(), 50u);
  // Kept: the history bound (5) behind the last snapshot, not all 50.
  EXPECT_LE(project.events.size(), 10u);
  EXPECT_EQ(project.events.back().seq(), 50u);
}

TEST(SqliteStoreTest, AResumingWatcherNeedsNoSnapshotAfterARestart) {
  testing::TempDir dir;
  std::string epoch;
  {
    Hub hub(SmallOptions(), *SqliteStore::Open(dir.path()));
    ASSERT_TRUE(hub.Recover().ok());
    hub.Start();
    ASSERT_TRUE(hub.PublishAndWait("core", Logs(1, 12)).ok());
    epoch = hub.Snapshot("demo")->epoch();
  }
  Hub hub(SmallOptions(), *SqliteStore::Open(dir.path()));
  ASSERT_TRUE(hub.Recover().ok());
  hub.Start();
  struct Sink : WatchSink {
    bool Deliver(std::shared_ptr<const v1::WatchResponse> r) override {
      responses.push_back(std::move(r));
      return true;
    }
    void Resync(std::shared_ptr<const v1::WatchResponse> r) override { responses.push_back(std::move(r)); }
    std::vector<std::shared_ptr<const v1::WatchResponse>> responses;
  } sink;
  auto project = hub.FindProject("demo");
  ASSERT_NE(project, nullptr);
  project->Watch(&sink, epoch, 10);
  ASSERT_FALSE(sink.responses.empty());
  ASSERT_TRUE(sink.responses[0]->has_events());
  EXPECT_EQ(sink.responses[0]->events().events(0).seq(), 11u);
  project->Unwatch(&sink);
}

TEST(SqliteStoreTest, ASecondHubOnTheSameDirIsRefused) {
  testing::TempDir dir;
  auto first = SqliteStore::Open(dir.path());
  ASSERT_TRUE(first.ok());
  auto second = SqliteStore::Open(dir.path());
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("another hub"), absl::string_view::npos);
}

TEST(SqliteStoreTest, ACorruptOrForeignDatabaseIsAClearErrorNotAReset) {
  testing::TempDir dir;
  {
    std::ofstream garbage(dir.File("hub.db"), std::ios::binary);
    garbage << std::string(8192, '\x5a');
  }
  auto store = SqliteStore::Open(dir.path());
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("hub.db"), absl::string_view::npos) << store.status();
  // Untouched.
  EXPECT_EQ(dir.ReadFile("hub.db"), std::string(8192, '\x5a'));
}

}  // namespace
}  // namespace nanokit::hub
