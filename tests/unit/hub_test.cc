// The hub's core without gRPC: deduplication, seq assignment, and the
// resume-or-snapshot decision for watchers.
#include "hub/hub.h"

#include <gtest/gtest.h>


namespace nanokit::hub {
namespace {

namespace v1 = nanokit::bridge::v1;

// Records what a project delivers, like a watcher with a queue of `capacity`.
class RecordingSink : public WatchSink {
 public:
  explicit RecordingSink(size_t capacity = 1000) : capacity_(capacity) {}
  bool Deliver(std::shared_ptr<const v1::WatchResponse> response) override {
    if (responses.size() >= capacity_) return false;
    responses.push_back(std::move(response));
    return true;
  }
  void Resync(std::shared_ptr<const v1::WatchResponse> snapshot) override {
    responses.clear();
    responses.push_back(std::move(snapshot));
    ++resyncs;
  }
  std::vector<uint64_t> EventSeqs() const {
    std::vector<uint64_t> seqs;
    for (const auto& r : responses) {
      for (const auto& e : r->events().events()) seqs.push_back(e.seq());
    }
    return seqs;
  }
  std::vector<std::shared_ptr<const v1::WatchResponse>> responses;
  int resyncs = 0;

 private:
  size_t capacity_;
};

v1::PublishRequest Request(const std::string& project, uint64_t first_source_seq, int count,
                           const std::string& status_prefix = "m") {
  v1::PublishRequest request;
  for (int i = 0; i < count; ++i) {
    v1::Event* e = request.add_events();
    e->set_project(project);
    e->set_source_seq(first_source_seq + static_cast<uint64_t>(i));
    e->mutable_status_update()->set_resource_id("web");
    e->mutable_status_update()->set_status(v1::DEPLOYING);
    e->mutable_status_update()->set_message(status_prefix + std::to_string(first_source_seq + static_cast<uint64_t>(i)));
  }
  return request;
}

TEST(HubTest, AssignsSeqAndDropsRetriedEvents) {
  Hub hub(HubOptions{}, std::make_unique<MemoryStore>());
  hub.Start();
  EXPECT_EQ(*hub.PublishAndWait("core-1", Request("demo", 1, 3)), 3u);
  // A retry resends 2..4: only 4 is new.
  EXPECT_EQ(*hub.PublishAndWait("core-1", Request("demo", 2, 3)), 4u);
  auto snapshot = hub.Snapshot("demo");
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ(snapshot->seq(), 4u);
  EXPECT_EQ(snapshot->resources(0).message(), "m4");
  EXPECT_EQ(hub.AcceptedSourceSeq("core-1"), 4u);
  // Another source has its own counter.
  EXPECT_EQ(*hub.PublishAndWait("core-2", Request("demo", 1, 1, "other")), 1u);
  EXPECT_EQ(hub.Snapshot("demo")->seq(), 5u);
}

TEST(HubTest, NoOpStatusUpdatesGetNoSeqButAreAcknowledged) {
  Hub hub(HubOptions{}, std::make_unique<MemoryStore>());
  hub.Start();
  auto first = Request("demo", 1, 1);
  ASSERT_TRUE(hub.PublishAndWait("c", first).ok());
  auto same = first;
  same.mutable_events(0)->set_source_seq(2);
  EXPECT_EQ(*hub.PublishAndWait("c", same), 2u);
  EXPECT_EQ(hub.Snapshot("demo")->seq(), 1u);
}

TEST(HubTest, RejectsInvalidRequestsWhole) {
  Hub hub(HubOptions{}, std::make_unique<MemoryStore>());
  hub.Start();
  auto request = Request("demo", 1, 2);
  request.mutable_events(1)->clear_payload();
  EXPECT_EQ(hub.PublishAndWait("c", request).status().code(), absl::StatusCode::kInvalidArgument);
  request = Request("bad name!", 1, 1);
  EXPECT_EQ(hub.PublishAndWait("c", request).status().code(), absl::StatusCode::kInvalidArgument);
  request = Request("demo", 1, 1);
  request.mutable_events(0)->set_source("someone-else");
  EXPECT_EQ(hub.PublishAndWait("c", request).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(hub.AcceptedSourceSeq("c"), 0u);
  EXPECT_EQ(hub.FindProject("demo"), nullptr);
}

// A store whose commits wait until the test lets them go: a disk as slow as
// the test wants, without sleeping. (absl::Mutex rather than Notification:
// what the gate orders is then visible to ThreadSanitizer too.)
class GatedStore : public Store {
 public:
  absl::StatusOr<RecoveredState> Recover() override { return RecoveredState{}; }
  absl::Status Commit(const StoreCommit& commit) override {
    absl::MutexLock lock(&mu_);
    ++commits_;
    sources_in_last_commit_ = commit.sources.size();
    mu_.Await(absl::Condition(&open_));
    return absl::OkStatus();
  }
  void WaitUntilCommitting() {
    absl::MutexLock lock(&mu_);
    auto committing = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return commits_ > 0; };
    mu_.Await(absl::Condition(&committing));
  }
  void Open() {
    absl::MutexLock lock(&mu_);
    open_ = true;
  }
  int commits() {
    absl::MutexLock lock(&mu_);
    return commits_;
  }
  size_t sources_in_last_commit() {
    absl::MutexLock lock(&mu_);
    return sources_in_last_commit_;
  }

 private:
  absl::Mutex mu_;
  bool open_ ABSL_GUARDED_BY(mu_) = false;
  int commits_ ABSL_GUARDED_BY(mu_) = 0;
  size_t sources_in_last_commit_ ABSL_GUARDED_BY(mu_) = 0;
};

// What a gRPC reaction asks of the hub never waits for the disk: Publish
// returns at once, and snapshots and new watchers are served from the
// committed state while a commit is under way. Requests that arrive meanwhile
// are committed together, in one transaction, once the disk is back.
TEST(HubTest, ASlowCommitHoldsNoCallerAndGroupsWhatWaits) {
  auto owned = std::make_unique<GatedStore>();
  GatedStore* store = owned.get();
  Hub hub(HubOptions{}, std::move(owned));
  hub.Start();

  absl::Mutex mu;
  std::vector<std::pair<std::string, uint64_t>> acks;
  auto record = [&](std::string source) {
    return [&, source](absl::StatusOr<uint64_t> accepted) {
      ASSERT_TRUE(accepted.ok()) << accepted.status();
      absl::MutexLock lock(&mu);
      acks.emplace_back(source, *accepted);
    };
  };
  hub.Publish("core-1", Request("demo", 1, 3), record("core-1"));  // returns; its commit blocks
  store->WaitUntilCommitting();
  hub.Publish("core-2", Request("demo", 1, 2, "two"), record("core-2"));
  hub.Publish("core-3", Request("other", 1, 1), record("core-3"));

  // Meanwhile the committed state is served, and nothing uncommitted shows.
  auto snapshot = hub.Snapshot("demo");
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ(snapshot->seq(), 0u);
  RecordingSink sink;
  auto project = hub.GetOrCreateProject("demo");
  ASSERT_TRUE(project.ok());
  (*project)->Watch(&sink, "", 0);
  ASSERT_EQ(sink.responses.size(), 1u);
  EXPECT_TRUE(sink.responses[0]->has_snapshot());
  {
    absl::MutexLock lock(&mu);
    EXPECT_TRUE(acks.empty()) << "acknowledged before it was committed";
  }

  store->Open();
  {
    absl::MutexLock lock(&mu);
    auto all = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return acks.size() == 3; };
    mu.Await(absl::Condition(&all));
    EXPECT_EQ(acks[0], std::make_pair(std::string("core-1"), uint64_t{3}));
  }
  EXPECT_EQ(store->commits(), 2) << "the two requests that waited were committed together";
  EXPECT_EQ(store->sources_in_last_commit(), 2u);
  EXPECT_EQ(sink.EventSeqs(), (std::vector<uint64_t>{1, 2, 3, 4, 5})) << "in order, after their commit";
  EXPECT_EQ(hub.Snapshot("demo")->seq(), 5u);
  (*project)->Unwatch(&sink);
}

TEST(HubTest, AFailedCommitAcceptsNothingAndTheRetryIsAccepted) {
  class FailingOnce : public Store {
   public:
    absl::StatusOr<RecoveredState> Recover() override { return RecoveredState{}; }
    absl::Status Commit(const StoreCommit&) override {
      return failed_.exchange(true) ? absl::OkStatus() : absl::InternalError("disk full");
    }

   private:
    std::atomic<bool> failed_{false};
  };
  Hub hub(HubOptions{}, std::make_unique<FailingOnce>());
  hub.Start();
  auto first = hub.PublishAndWait("core", Request("demo", 1, 3));
  EXPECT_EQ(first.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(hub.Snapshot("demo")->seq(), 0u);
  EXPECT_EQ(hub.AcceptedSourceSeq("core"), 0u);
  EXPECT_EQ(*hub.PublishAndWait("core", Request("demo", 1, 3)), 3u);
  EXPECT_EQ(hub.Snapshot("demo")->seq(), 3u);
}

TEST(HubTest, EventsThatChangeNothingGetNoSeqEvenWithinOneRequest) {
  Hub hub(HubOptions{}, std::make_unique<MemoryStore>());
  hub.Start();
  v1::PublishRequest request;
  auto add = [&](uint64_t source_seq, const std::string& resource, bool removed, const std::string& message) {
    v1::Event* e = request.add_events();
    e->set_project("demo");
    e->set_source_seq(source_seq);
    e->mutable_status_update()->set_resource_id(resource);
    e->mutable_status_update()->set_status(v1::HEALTHY);
    e->mutable_status_update()->set_message(message);
    e->mutable_status_update()->set_removed(removed);
  };
  add(1, "web", false, "up");
  add(2, "web", false, "up");    // repeats 1
  add(3, "web", true, "");       // removes
  add(4, "web", true, "");       // nothing left to remove
  add(5, "web", false, "up");    // a new web
  add(6, "db", true, "");        // never existed
  EXPECT_EQ(*hub.PublishAndWait("core", request), 6u);
  auto snapshot = hub.Snapshot("demo");
  EXPECT_EQ(snapshot->seq(), 3u);
  ASSERT_EQ(snapshot->resources_size(), 1);
  EXPECT_EQ(snapshot->resources(0).seq(), 3u);
}

TEST(ProjectTest, WatchStartsWithSnapshotThenLiveBatches) {
  Project project("demo", "e1", ProjectOptions{});
  RecordingSink sink;
  project.Watch(&sink, "", 0);
  ASSERT_EQ(sink.responses.size(), 1u);
  EXPECT_TRUE(sink.responses[0]->has_snapshot());
  auto events = Request("demo", 1, 3).events();
  project.AppendAndPublish({events.begin(), events.end()});
  EXPECT_EQ(sink.EventSeqs(), (std::vector<uint64_t>{1, 2, 3}));
  project.Unwatch(&sink);
}

TEST(ProjectTest, ResumesFromHistoryWithinTheSameEpoch) {
  Project project("demo", "e1", ProjectOptions{});
  auto events = Request("demo", 1, 10).events();
  project.AppendAndPublish({events.begin(), events.end()});
  RecordingSink sink;
  project.Watch(&sink, "e1", 6);
  EXPECT_EQ(sink.resyncs, 0);
  EXPECT_EQ(sink.EventSeqs(), (std::vector<uint64_t>{7, 8, 9, 10}));
  EXPECT_TRUE(sink.responses.back()->has_heartbeat());
  project.Unwatch(&sink);
}

TEST(ProjectTest, SnapshotWhenTheEpochOrHistoryDoesNotMatch) {
  ProjectOptions options;
  options.history_events = 5;
  Project project("demo", "e1", options);
  auto events = Request("demo", 1, 10).events();
  project.AppendAndPublish({events.begin(), events.end()});
  for (auto [epoch, after] : std::vector<std::pair<std::string, uint64_t>>{{"other", 8}, {"e1", 2}, {"e1", 99}}) {
    RecordingSink sink;
    project.Watch(&sink, epoch, after);
    ASSERT_EQ(sink.responses.size(), 1u) << epoch << " " << after;
    EXPECT_TRUE(sink.responses[0]->has_snapshot());
    EXPECT_EQ(sink.responses[0]->snapshot().seq(), 10u);
    project.Unwatch(&sink);
  }
  // The oldest event kept is 6: resuming after 5 still works.
  RecordingSink sink;
  project.Watch(&sink, "e1", 5);
  EXPECT_EQ(sink.EventSeqs(), (std::vector<uint64_t>{6, 7, 8, 9, 10}));
  project.Unwatch(&sink);
}

TEST(ProjectTest, AWatcherThatFallsBehindIsResyncedNotGrown) {
  Project project("demo", "e1", ProjectOptions{});
  RecordingSink sink(/*capacity=*/3);
  project.Watch(&sink, "", 0);
  for (uint64_t i = 1; i <= 10; ++i) {
    auto events = Request("demo", i, 1).events();
    project.AppendAndPublish({events.begin(), events.end()});
  }
  EXPECT_LE(sink.responses.size(), 3u);
  EXPECT_GE(sink.resyncs, 2);
  project.Unwatch(&sink);
}

TEST(ProjectTest, CoreLivenessIsAnnouncedAtOnce) {
  Project project("demo", "e1", ProjectOptions{});
  RecordingSink sink;
  project.Watch(&sink, "", 0);
  EXPECT_FALSE(sink.responses[0]->snapshot().core_connected());
  project.CoreAttached();
  project.CoreAttached();  // a second publisher: no change
  project.CoreDetached();
  project.CoreDetached();
  ASSERT_EQ(sink.responses.size(), 3u);
  EXPECT_TRUE(sink.responses[1]->heartbeat().projects(0).core_connected());
  EXPECT_FALSE(sink.responses[2]->heartbeat().projects(0).core_connected());
  project.Unwatch(&sink);
}

}  // namespace
}  // namespace nanokit::hub
