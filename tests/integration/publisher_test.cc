// HubPublisher against a real hub: batching, acknowledgements, reconnects.
#include "core_client/hub_publisher.h"

#include <gtest/gtest.h>

#include "tests/support/stack.h"

namespace nanokit::testing {
namespace {

namespace v1 = nanokit::bridge::v1;

client::HubPublisherOptions Options(TestStack& stack) {
  client::HubPublisherOptions options;
  options.target = stack.hub_address();
  options.token = stack.token();
  options.initial_backoff = absl::Milliseconds(50);
  options.max_backoff = absl::Milliseconds(500);
  return options;
}

TEST(HubPublisherTest, PublishesEverythingAndFlushes) {
  TestStack stack;
  ASSERT_TRUE(stack.StartHub().ok());
  client::ActivityManager activity("demo");
  client::HubPublisher publisher(Options(stack));
  publisher.Attach(&activity);
  for (int i = 0; i < 5000; ++i) activity.SetStatus("r" + std::to_string(i % 100), v1::DEPLOYING, std::to_string(i));
  ASSERT_TRUE(publisher.Flush(absl::Seconds(20)));
  auto stats = publisher.stats();
  EXPECT_EQ(stats.published, 5000u);
  EXPECT_EQ(stats.acknowledged, 5000u);
  EXPECT_EQ(stats.buffered_bytes, 0u);
  auto snapshot = stack.GetSnapshot("demo");
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ(snapshot->seq(), 5000u);
  EXPECT_EQ(snapshot->resources_size(), 100);
  EXPECT_TRUE(snapshot->core_connected());
}

TEST(HubPublisherTest, BuffersWhileTheHubIsDownAndDeliversWhenItComes) {
  TestStack stack;
  ASSERT_TRUE(stack.StartHub().ok());
  ASSERT_EQ(stack.StopHub(SIGKILL), 128 + SIGKILL);  // the port is known, nothing listens
  client::ActivityManager activity("demo");
  client::HubPublisher publisher(Options(stack));
  publisher.Attach(&activity);
  activity.SetStatus("web", v1::DEPLOYING);
  activity.AppendLogs("web", {"starting"});
  activity.SetStatus("web", v1::HEALTHY);
  EXPECT_FALSE(publisher.Flush(absl::Milliseconds(300)));
  EXPECT_FALSE(publisher.stats().connected);

  ASSERT_TRUE(stack.StartHub().ok());
  ASSERT_TRUE(publisher.Flush(absl::Seconds(10)));
  auto snapshot = stack.GetSnapshot("demo");
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ(snapshot->seq(), 3u);
  EXPECT_EQ(snapshot->resources(0).status(), v1::HEALTHY);
}

TEST(HubPublisherTest, ALongOutageKeepsTheFinalStatusOfEveryResourceAndCountsLostLines) {
  TestStack stack;
  ASSERT_TRUE(stack.StartHub().ok());
  ASSERT_EQ(stack.StopHub(SIGKILL), 128 + SIGKILL);
  auto options = Options(stack);
  options.max_buffer_bytes = 64 * 1024;
  client::ActivityManager activity("demo");
  client::HubPublisher publisher(options);
  publisher.Attach(&activity);
  const std::string padding(100, '.');
  for (int i = 0; i < 5000; ++i) {
    const std::string resource = "r" + std::to_string(i % 10);
    activity.SetStatus(resource, i % 2 ? v1::DEPLOYING : v1::HEALTHY, std::to_string(i) + padding);
    activity.AppendLogs("web", {std::to_string(i) + padding});
  }
  EXPECT_LE(publisher.stats().buffered_bytes, options.max_buffer_bytes + 4096);
  EXPECT_GT(publisher.stats().dropped, 0u);

  ASSERT_TRUE(stack.StartHub().ok());
  ASSERT_TRUE(publisher.Flush(absl::Seconds(10)));
  auto snapshot = stack.GetSnapshot("demo");
  ASSERT_TRUE(snapshot.ok());
  for (const v1::ResourceState& r : snapshot->resources()) {
    if (r.resource_id() == "web") {
      // The newest lines survive.
      ASSERT_GT(r.recent_logs_size(), 0);
      EXPECT_EQ(r.recent_logs(r.recent_logs_size() - 1).text(), "4999" + padding);
      continue;
    }
    // r0..r9: each ends at its last status (r9's last is i = 4999).
    const int index = std::stoi(r.resource_id().substr(1));
    const int last = 4990 + index;
    EXPECT_EQ(r.message(), std::to_string(last) + padding) << r.resource_id();
    EXPECT_EQ(r.status(), last % 2 ? v1::DEPLOYING : v1::HEALTHY);
  }
  EXPECT_EQ(snapshot->resources_size(), 11);
}

TEST(HubPublisherTest, TheHubDropsWhatARetryResends) {
  TestStack stack;
  ASSERT_TRUE(stack.StartHub().ok());
  auto ingest = v1::IngestService::NewStub(stack.HubChannel());
  v1::PublishRequest request;
  request.set_source("retrying-core");
  for (uint64_t i = 1; i <= 3; ++i) {
    v1::Event* e = request.add_events();
    e->set_project("demo");
    e->set_source_seq(i);
    e->mutable_log_stream()->set_resource_id("web");
    e->mutable_log_stream()->add_lines("line " + std::to_string(i));
  }
  for (int attempt = 0; attempt < 2; ++attempt) {  // the same batch twice, on two streams
    grpc::ClientContext context;
    stack.Authorize(&context);
    auto stream = ingest->Publish(&context);
    ASSERT_TRUE(stream->Write(request));
    v1::PublishResponse response;
    ASSERT_TRUE(stream->Read(&response));
    EXPECT_EQ(response.acked_source_seq(), 3u);
    stream->WritesDone();
    EXPECT_TRUE(stream->Finish().ok());
  }
  auto snapshot = stack.GetSnapshot("demo");
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ(snapshot->seq(), 3u);
  EXPECT_EQ(snapshot->resources(0).recent_logs_size(), 3);
}

TEST(HubPublisherTest, AWrongTokenNeverConnects) {
  TestStack stack;
  ASSERT_TRUE(stack.StartHub().ok());
  auto options = Options(stack);
  options.token = "wrong";
  client::HubPublisher publisher(options);
  v1::Event event;
  event.set_project("demo");
  event.mutable_status_update()->set_resource_id("web");
  publisher.Publish(event);
  EXPECT_FALSE(publisher.Flush(absl::Milliseconds(500)));
  EXPECT_EQ(stack.GetSnapshot("demo")->seq(), 0u);
}

}  // namespace
}  // namespace nanokit::testing
