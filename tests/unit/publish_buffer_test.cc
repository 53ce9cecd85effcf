// The core library's buffer for the hub, without a network: what survives an
// outage that overflows it, and what each stream sends.

#include "core_client/publish_buffer.h"

#include <gtest/gtest.h>

#include "protocol/project_state.h"
#include "protocol/server_message.h"

namespace nanokit::client {
namespace {

namespace v1 = nanokit::bridge::v1;

class PublishBufferTest : public ::testing::Test {
 protected:
  v1::Event Status(const std::string& resource, v1::Status status, const std::string& message = "",
                   const std::string& kind = "") {
    v1::Event event = Base();
    event.mutable_status_update()->set_resource_id(resource);
    event.mutable_status_update()->set_status(status);
    event.mutable_status_update()->set_message(message);
    event.mutable_status_update()->set_kind(kind);
    return event;
  }
  v1::Event Removal(const std::string& resource) {
    v1::Event event = Base();
    event.mutable_status_update()->set_resource_id(resource);
    event.mutable_status_update()->set_removed(true);
    return event;
  }
  v1::Event Logs(const std::string& resource, std::vector<std::string> lines) {
    v1::Event event = Base();
    event.mutable_log_stream()->set_resource_id(resource);
    for (auto& line : lines) event.mutable_log_stream()->add_lines(std::move(line));
    return event;
  }
  v1::Event Base() {
    v1::Event event;
    event.set_project("demo");
    event.set_source("core");
    event.set_source_seq(next_source_seq_++);
    return event;
  }
  static std::vector<uint64_t> SourceSeqs(const std::vector<v1::Event>& events) {
    std::vector<uint64_t> seqs;
    for (const auto& e : events) seqs.push_back(e.source_seq());
    return seqs;
  }
  // What the hub holds after it applies events (each gets the next seq).
  static void ApplyAll(ProjectState& state, std::vector<v1::Event> events) {
    for (v1::Event& event : events) {
      if (!state.Changes(event)) continue;
      event.set_seq(state.seq() + 1);
      state.Apply(event);
    }
  }

  uint64_t next_source_seq_ = 1;
};

// The hub had web (kind db, a log line); then, during an outage that
// overflows the buffer, the core removed web and started a new web. The
// removal must reach the hub: without it the hub would keep the old web's
// kind and log lines under the new one.
TEST_F(PublishBufferTest, AnOverflowNeverLosesARemoval) {
  ProjectState before("demo", "e1");
  ApplyAll(before, {Status("web", v1::HEALTHY, "up", "db"), Logs("web", {"old line"})});

  std::vector<v1::Event> published;
  published.push_back(Removal("web"));
  published.push_back(Status("web", v1::PENDING, "starting"));
  for (int i = 0; i < 20; ++i) published.push_back(Status("api", v1::DEPLOYING, "step " + std::to_string(i)));

  PublishBuffer buffer(300);  // far less than everything published
  for (const auto& event : published) buffer.Push(event);
  const std::vector<v1::Event> kept = buffer.Unacknowledged();
  ASSERT_LT(kept.size(), published.size()) << "the buffer was expected to overflow";
  EXPECT_GT(buffer.dropped(), 0u);

  bool removal_kept = false;
  for (const auto& e : kept) removal_kept |= e.status_update().removed();
  EXPECT_TRUE(removal_kept) << "the removal of web was conflated away";

  ProjectState with_kept = before;
  ApplyAll(with_kept, kept);
  ProjectState with_all = before;
  ApplyAll(with_all, published);
  ASSERT_NE(with_kept.Find("web"), nullptr);
  EXPECT_EQ(with_kept.Find("web")->kind(), "");
  v1::ProjectSnapshot a = with_kept.ToSnapshot();
  v1::ProjectSnapshot b = with_all.ToSnapshot();
  a.clear_seq();
  b.clear_seq();
  for (auto* s : {&a, &b}) {
    for (auto& r : *s->mutable_resources()) {
      r.clear_seq();
      r.clear_updated_at();
    }
  }
  EXPECT_EQ(ToJson(a), ToJson(b)) << "the hub's state after the outage differs from the core's";
}

TEST_F(PublishBufferTest, OnlyTheNewestStatusOfAResourceSurvivesAnOverflow) {
  PublishBuffer buffer(200);
  for (int i = 0; i < 30; ++i) buffer.Push(Status("web", v1::DEPLOYING, "step " + std::to_string(i)));
  const auto kept = buffer.Unacknowledged();
  ASSERT_FALSE(kept.empty());
  EXPECT_EQ(kept.back().status_update().message(), "step 29");
  EXPECT_LE(buffer.bytes(), 200u);
}

TEST_F(PublishBufferTest, DroppedLogLinesAreToldInTheResourcesNextLogStream) {
  PublishBuffer buffer(400);
  for (int i = 0; i < 20; ++i) buffer.Push(Logs("web", {"line " + std::to_string(i), "more"}));
  const auto kept = buffer.Unacknowledged();
  ASSERT_LT(kept.size(), 20u);
  uint64_t reported = 0;
  uint64_t lines = 0;
  for (const auto& e : kept) {
    reported += e.log_stream().dropped_lines();
    lines += static_cast<uint64_t>(e.log_stream().lines_size());
  }
  // Every line is either still there or counted.
  EXPECT_EQ(lines + reported, 40u);
  EXPECT_EQ(kept.back().log_stream().lines(0), "line 19") << "the newest lines are kept";
}

TEST_F(PublishBufferTest, LinesOfAResourceWithNoLogEventLeftAreToldByItsNextOne) {
  PublishBuffer buffer(150);
  buffer.Push(Logs("web", {"a", "b", "c"}));
  for (int i = 0; i < 10; ++i) buffer.Push(Status("s" + std::to_string(i), v1::HEALTHY));
  for (const auto& e : buffer.Unacknowledged()) ASSERT_FALSE(e.has_log_stream()) << "web's lines were expected to go";
  buffer.Push(Logs("web", {"d"}));
  const auto kept = buffer.Unacknowledged();
  ASSERT_TRUE(kept.back().has_log_stream());
  EXPECT_EQ(kept.back().log_stream().dropped_lines(), 3u);
}

TEST_F(PublishBufferTest, WhatTheStreamSentIsNeverShrunk) {
  PublishBuffer buffer(250);
  for (int i = 0; i < 3; ++i) buffer.Push(Status("web", v1::DEPLOYING, "sent " + std::to_string(i)));
  v1::PublishRequest request;
  EXPECT_EQ(buffer.FillRequest(100, 1 << 20, &request), 3u);
  for (int i = 0; i < 20; ++i) buffer.Push(Status("web", v1::DEPLOYING, "later " + std::to_string(i)));
  const auto kept = buffer.Unacknowledged();
  ASSERT_GE(kept.size(), 4u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(kept[static_cast<size_t>(i)].status_update().message(), "sent " + std::to_string(i));
  EXPECT_EQ(kept.back().status_update().message(), "later 19");
}

TEST_F(PublishBufferTest, BatchesAreBoundedAndARewindSendsTheUnacknowledgedAgain) {
  PublishBuffer buffer(1 << 20);
  for (int i = 0; i < 10; ++i) buffer.Push(Status("r" + std::to_string(i), v1::HEALTHY));
  v1::PublishRequest first;
  EXPECT_EQ(buffer.FillRequest(4, 1 << 20, &first), 4u);
  v1::PublishRequest second;
  EXPECT_EQ(buffer.FillRequest(100, 1, &second), 1u) << "a byte bound still lets one event through";
  EXPECT_EQ(second.events(0).source_seq(), 5u);
  buffer.Acknowledge(3);
  EXPECT_EQ(buffer.size(), 7u);
  EXPECT_TRUE(buffer.has_unsent());

  buffer.Rewind();  // the stream broke: the hub has 1-3 only
  v1::PublishRequest again;
  buffer.FillRequest(100, 1 << 20, &again);
  std::vector<v1::Event> sent(again.events().begin(), again.events().end());
  EXPECT_EQ(SourceSeqs(sent), (std::vector<uint64_t>{4, 5, 6, 7, 8, 9, 10}));
  EXPECT_FALSE(buffer.has_unsent());
  buffer.Acknowledge(10);
  EXPECT_EQ(buffer.size(), 0u);
  EXPECT_EQ(buffer.bytes(), 0u);
}

}  // namespace
}  // namespace nanokit::client
