#include "core_client/activity_manager.h"

#include <gtest/gtest.h>

#include <thread>

namespace nanokit::client {
namespace {

namespace v1 = nanokit::bridge::v1;

TEST(ActivityManagerTest, EmitsTypedEventsToListeners) {
  ActivityManager manager("demo");
  std::vector<v1::Event> seen;
  manager.AddListener([&](const v1::Event& e) { seen.push_back(e); });
  EXPECT_TRUE(manager.SetStatus("web", v1::DEPLOYING, "pulling"));
  manager.AppendLogs("web", {"a", "b"}, v1::LogStream::STDERR);
  v1::PlannedAction action;
  action.set_resource_id("web");
  action.set_action("create");
  manager.BeginReconcile("r1", {action});
  manager.EndReconcile("r1", v1::ReconcileEnd::SUCCEEDED, "done");
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0].project(), "demo");
  EXPECT_EQ(seen[0].status_update().status(), v1::DEPLOYING);
  EXPECT_GT(seen[0].emitted_at().seconds(), 0);
  EXPECT_EQ(seen[1].log_stream().lines_size(), 2);
  EXPECT_EQ(seen[1].log_stream().stream(), v1::LogStream::STDERR);
  EXPECT_EQ(seen[2].reconcile_start().actions(0).action(), "create");
  EXPECT_EQ(seen[3].reconcile_end().outcome(), v1::ReconcileEnd::SUCCEEDED);
}

TEST(ActivityManagerTest, DropsNoOpUpdatesAndKnowsCurrentStatus) {
  ActivityManager manager("demo");
  int events = 0;
  manager.AddListener([&](const v1::Event&) { ++events; });
  EXPECT_TRUE(manager.SetStatus("web", v1::HEALTHY, "up"));
  EXPECT_FALSE(manager.SetStatus("web", v1::HEALTHY, "up"));
  EXPECT_TRUE(manager.SetStatus("web", v1::HEALTHY, "up again"));
  EXPECT_EQ(events, 2);
  EXPECT_EQ(manager.StatusOf("web"), v1::HEALTHY);
  EXPECT_FALSE(manager.StatusOf("db").has_value());
  EXPECT_TRUE(manager.RemoveResource("web"));
  EXPECT_FALSE(manager.RemoveResource("web"));
  EXPECT_EQ(events, 3);
}

TEST(ActivityManagerTest, RemovedListenersHearNothing) {
  ActivityManager manager("demo");
  int events = 0;
  int id = manager.AddListener([&](const v1::Event&) { ++events; });
  manager.SetStatus("a", v1::PENDING);
  manager.RemoveListener(id);
  manager.SetStatus("b", v1::PENDING);
  EXPECT_EQ(events, 1);
}

TEST(ActivityManagerTest, ConcurrentEmittersAreSerialized) {
  ActivityManager manager("demo");
  std::vector<std::string> order;
  manager.AddListener([&](const v1::Event& e) { order.push_back(e.status_update().resource_id()); });
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) manager.SetStatus("r" + std::to_string(t), i % 2 ? v1::HEALTHY : v1::FAILED);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(order.size(), 2000u);
}

}  // namespace
}  // namespace nanokit::client
