// ProjectDirectory: a full list first, then only what changed, coalesced
// per Update; a sink whose queue is full is resynced with a full list.
#include "hub/project_directory.h"

#include <gtest/gtest.h>

#include "hub/hub.h"

namespace nanokit::hub {
namespace {

namespace v1 = nanokit::bridge::v1;

class RecordingSink final : public ProjectListSink {
 public:
  bool Deliver(std::shared_ptr<const v1::ProjectList> change) override {
    if (full) return false;
    lists.push_back(*change);
    return true;
  }
  void Resync(std::shared_ptr<const v1::ProjectList> all) override {
    resyncs++;
    lists.push_back(*all);
  }
  std::vector<v1::ProjectList> lists;
  int resyncs = 0;
  bool full = false;
};

v1::ProjectSummary Summary(const std::string& name, uint64_t seq, bool core = false) {
  v1::ProjectSummary summary;
  summary.set_project(name);
  summary.set_seq(seq);
  summary.set_core_connected(core);
  return summary;
}

std::vector<std::string> Names(const v1::ProjectList& list) {
  std::vector<std::string> names;
  for (const auto& s : list.projects()) names.push_back(s.project());
  return names;
}

TEST(ProjectDirectoryTest, AFullListFirstThenOnlyWhatChanged) {
  ProjectDirectory directory;
  directory.Update({Summary("web", 3), Summary("api", 1)});
  RecordingSink sink;
  directory.Watch(&sink);
  ASSERT_EQ(sink.lists.size(), 1u);
  EXPECT_TRUE(sink.lists[0].full());
  EXPECT_EQ(Names(sink.lists[0]), (std::vector<std::string>{"api", "web"})) << "sorted by name";

  directory.Update({Summary("web", 3), Summary("api", 1)});
  EXPECT_EQ(sink.lists.size(), 1u) << "nothing changed, nothing sent";

  // Many events between two updates are one change.
  directory.Update({Summary("web", 90, true), Summary("api", 1), Summary("db", 1)});
  ASSERT_EQ(sink.lists.size(), 2u);
  EXPECT_FALSE(sink.lists[1].full());
  EXPECT_EQ(Names(sink.lists[1]), (std::vector<std::string>{"db", "web"}));
  EXPECT_EQ(sink.lists[1].projects(1).seq(), 90u);

  directory.Update({Summary("web", 90, true), Summary("db", 1)});
  ASSERT_EQ(sink.lists.size(), 3u);
  EXPECT_TRUE(sink.lists[2].projects().empty());
  EXPECT_EQ(std::vector<std::string>(sink.lists[2].removed().begin(), sink.lists[2].removed().end()),
            std::vector<std::string>{"api"});

  directory.Unwatch(&sink);
  directory.Update({Summary("web", 91, true)});
  EXPECT_EQ(sink.lists.size(), 3u) << "never called after Unwatch";
}

TEST(ProjectDirectoryTest, ASinkThatCannotTakeAChangeIsResyncedWithTheFullList) {
  ProjectDirectory directory;
  RecordingSink sink;
  directory.Watch(&sink);
  sink.full = true;
  directory.Update({Summary("web", 1), Summary("api", 2)});
  ASSERT_EQ(sink.resyncs, 2);
  EXPECT_TRUE(sink.lists.back().full());
  EXPECT_EQ(Names(sink.lists.back()), (std::vector<std::string>{"api", "web"}));
}

TEST(ProjectDirectoryTest, TheHubListsAProjectOnceACorePublishesOrConnectsNotForAWatcherAlone) {
  Hub hub(HubOptions{}, std::make_unique<MemoryStore>());
  hub.Start();
  ASSERT_TRUE(hub.GetOrCreateProject("only-watched").ok());  // what a Watch does
  auto connected = hub.GetOrCreateProject("core-only");
  ASSERT_TRUE(connected.ok());
  (*connected)->CoreAttached();
  v1::PublishRequest request;
  v1::Event* event = request.add_events();
  event->set_project("published");
  event->set_source_seq(1);
  event->mutable_status_update()->set_resource_id("web");
  ASSERT_TRUE(hub.PublishAndWait("core", request).ok());

  RecordingSink sink;
  hub.WatchProjects(&sink);
  ASSERT_EQ(sink.lists.size(), 1u);
  EXPECT_EQ(Names(sink.lists[0]), (std::vector<std::string>{"core-only", "published"}));
  EXPECT_TRUE(sink.lists[0].projects(1).has_last_change_at());
  EXPECT_FALSE(sink.lists[0].projects(0).has_last_change_at());
  hub.UnwatchProjects(&sink);
  (*connected)->CoreDetached();
  hub.Stop();
}

}  // namespace
}  // namespace nanokit::hub
