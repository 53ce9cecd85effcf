#include "protocol/project_state.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

namespace nanokit {
namespace {

namespace v1 = nanokit::bridge::v1;

v1::Event Status(uint64_t seq, const std::string& id, v1::Status status, const std::string& message = "") {
  v1::Event e;
  e.set_project("p");
  e.set_seq(seq);
  e.mutable_emitted_at()->set_seconds(static_cast<int64_t>(1000 + seq));
  auto* u = e.mutable_status_update();
  u->set_resource_id(id);
  u->set_kind("service");
  u->set_status(status);
  u->set_message(message);
  return e;
}

v1::Event Logs(uint64_t seq, const std::string& id, std::vector<std::string> lines) {
  v1::Event e;
  e.set_project("p");
  e.set_seq(seq);
  auto* l = e.mutable_log_stream();
  l->set_resource_id(id);
  for (auto& line : lines) l->add_lines(line);
  return e;
}

TEST(ProjectStateTest, StatusUpdatesPatchOneResource) {
  ProjectState state("p", "e1");
  state.Apply(Status(1, "web", v1::PENDING));
  state.Apply(Status(2, "db", v1::DEPLOYING));
  state.Apply(Status(3, "web", v1::HEALTHY, "up"));
  EXPECT_EQ(state.seq(), 3u);
  ASSERT_EQ(state.resource_count(), 2u);
  EXPECT_EQ(state.Find("web")->status(), v1::HEALTHY);
  EXPECT_EQ(state.Find("web")->message(), "up");
  EXPECT_EQ(state.Find("web")->seq(), 3u);
  EXPECT_EQ(state.Find("db")->status(), v1::DEPLOYING);
}

TEST(ProjectStateTest, RepeatingTheCurrentStatusChangesNothing) {
  ProjectState state("p", "e1");
  state.Apply(Status(1, "web", v1::HEALTHY, "up"));
  EXPECT_FALSE(state.Changes(Status(2, "web", v1::HEALTHY, "up")));
  EXPECT_TRUE(state.Changes(Status(2, "web", v1::HEALTHY, "still up")));
  EXPECT_TRUE(state.Changes(Status(2, "web", v1::FAILED, "up")));
  EXPECT_TRUE(state.Changes(Status(2, "api", v1::HEALTHY, "up")));
  EXPECT_FALSE(state.Changes(Logs(2, "web", {})));
}

TEST(ProjectStateTest, RemovedResourcesLeaveTheState) {
  ProjectState state("p", "e1");
  state.Apply(Status(1, "web", v1::HEALTHY));
  v1::Event remove = Status(2, "web", v1::UNKNOWN);
  remove.mutable_status_update()->set_removed(true);
  EXPECT_TRUE(state.Changes(remove));
  state.Apply(remove);
  EXPECT_EQ(state.Find("web"), nullptr);
  EXPECT_FALSE(state.Changes(remove));
}

TEST(ProjectStateTest, LogsAreBoundedPerResource) {
  ProjectState state("p", "e1", /*log_lines_per_resource=*/3);
  state.Apply(Logs(1, "web", {"a", "b"}));
  state.Apply(Logs(2, "web", {"c", "d", "e"}));
  auto snapshot = state.ToSnapshot();
  ASSERT_EQ(snapshot.resources_size(), 1);
  const auto& logs = snapshot.resources(0).recent_logs();
  ASSERT_EQ(logs.size(), 3);
  EXPECT_EQ(logs[0].text(), "c");
  EXPECT_EQ(logs[2].text(), "e");
  // A resource known only from its output exists, with UNKNOWN status.
  EXPECT_EQ(snapshot.resources(0).status(), v1::UNKNOWN);
}

TEST(ProjectStateTest, ReconcileStartAndEnd) {
  ProjectState state("p", "e1");
  v1::Event start;
  start.set_seq(1);
  start.mutable_emitted_at()->set_seconds(10);
  start.mutable_reconcile_start()->set_reconcile_id("r1");
  auto* action = start.mutable_reconcile_start()->add_actions();
  action->set_resource_id("web");
  action->set_action("create");
  state.Apply(start);
  EXPECT_TRUE(state.ToSnapshot().reconcile().running());
  v1::Event end;
  end.set_seq(2);
  end.mutable_emitted_at()->set_seconds(15);
  end.mutable_reconcile_end()->set_reconcile_id("r1");
  end.mutable_reconcile_end()->set_outcome(v1::ReconcileEnd::SUCCEEDED);
  state.Apply(end);
  auto reconcile = state.ToSnapshot().reconcile();
  EXPECT_FALSE(reconcile.running());
  EXPECT_EQ(reconcile.outcome(), v1::ReconcileEnd::SUCCEEDED);
  EXPECT_EQ(reconcile.actions_size(), 1);
  EXPECT_EQ(reconcile.started_at().seconds(), 10);
  EXPECT_EQ(reconcile.ended_at().seconds(), 15);
}

TEST(ProjectStateTest, SnapshotRoundTripsAndIsSorted) {
  ProjectState state("p", "e1");
  state.Apply(Status(1, "zeta", v1::FAILED, "boom"));
  state.Apply(Status(2, "alpha", v1::HEALTHY));
  state.Apply(Logs(3, "alpha", {"hello"}));
  auto snapshot = state.ToSnapshot();
  ASSERT_EQ(snapshot.resources_size(), 2);
  EXPECT_EQ(snapshot.resources(0).resource_id(), "alpha");
  EXPECT_EQ(snapshot.seq(), 3u);
  EXPECT_EQ(snapshot.epoch(), "e1");
  auto copy = ProjectState::FromSnapshot(snapshot);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(copy.ToSnapshot(), snapshot));
}

// The state digest of docs/protocol.md against the Python reference's
// values (tests/vectors/rules/digests.json), which JavaScript checks too.
TEST(ProjectStateTest, TheStateDigestIsTheReferenceOne) {
  std::ifstream in(NANOKIT_VECTORS_DIR "/rules/digests.json");
  std::stringstream text;
  text << in.rdbuf();
  google::protobuf::Struct vectors;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(text.str(), &vectors).ok());
  const auto& cases = vectors.fields().at("cases").list_value().values();
  ASSERT_GE(cases.size(), 5);
  for (const auto& c : cases) {
    const auto& fields = c.struct_value().fields();
    std::string snapshot_json;
    ASSERT_TRUE(google::protobuf::util::MessageToJsonString(fields.at("snapshot"), &snapshot_json).ok());
    v1::ProjectSnapshot snapshot;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(snapshot_json, &snapshot).ok()) << snapshot_json;
    EXPECT_EQ(ProjectState::FromSnapshot(snapshot).Digest(), fields.at("digest").string_value())
        << fields.at("name").string_value();
  }
}

TEST(ProjectStateTest, TheDigestFollowsEveryChangeButNotLogs) {
  ProjectState state("p", "e1");
  const std::string empty = state.Digest();
  state.Apply(Status(1, "web", v1::HEALTHY, "up"));
  const std::string one = state.Digest();
  EXPECT_NE(one, empty);
  state.Apply(Logs(2, "web", {"a line"}));
  EXPECT_EQ(state.Digest(), one) << "logs are not part of it";
  state.Apply(Status(3, "web", v1::FAILED, "up"));
  EXPECT_NE(state.Digest(), one);
}

}  // namespace
}  // namespace nanokit
