// The core's emitting code tested with the shipped MockPublisher: what it
// publishes, in order, and what it does when the hub does not acknowledge.

#include "examples/cpp_core/rollout.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core_client/mocks/mock_publisher.h"

namespace example {
namespace {

namespace v1 = nanokit::bridge::v1;
using nanokit::client::ActivityManager;
using nanokit::client::testing::MockPublisher;
using ::testing::_;
using ::testing::AllOf;
using ::testing::InSequence;
using ::testing::NiceMock;
using ::testing::Property;
using ::testing::Return;

MATCHER_P2(IsStatus, resource_id, status, "") {
  return arg.has_status_update() && arg.status_update().resource_id() == resource_id &&
         arg.status_update().status() == status;
}
MATCHER_P(IsReconcileStart, reconcile_id, "") {
  return arg.has_reconcile_start() && arg.reconcile_start().reconcile_id() == reconcile_id;
}
MATCHER_P(IsReconcileEnd, outcome, "") { return arg.has_reconcile_end() && arg.reconcile_end().outcome() == outcome; }
MATCHER_P(IsLogOf, resource_id, "") { return arg.has_log_stream() && arg.log_stream().resource_id() == resource_id; }

TEST(RolloutTest, PublishesTheReconcileInOrderAndWaitsForTheHub) {
  ActivityManager activity("shop");
  MockPublisher publisher;
  EXPECT_CALL(publisher, Attach(&activity));
  {
    InSequence in_order;
    EXPECT_CALL(publisher, Publish(AllOf(IsReconcileStart("r1"), Property(&v1::Event::project, "shop"))));
    EXPECT_CALL(publisher, Publish(IsStatus("web", v1::PENDING)));
    EXPECT_CALL(publisher, Publish(IsStatus("web", v1::DEPLOYING)));
    EXPECT_CALL(publisher, Publish(IsStatus("web", v1::HEALTHY)));
    EXPECT_CALL(publisher, Publish(IsLogOf("web")));
    EXPECT_CALL(publisher, Publish(IsReconcileEnd(v1::ReconcileEnd::SUCCEEDED)));
    EXPECT_CALL(publisher, Flush(absl::Seconds(5))).WillOnce(Return(true));
  }
  publisher.Attach(&activity);

  EXPECT_TRUE(RunRollout(activity, publisher, "r1", {{.id = "web"}}, absl::Seconds(5)).ok());
}

TEST(RolloutTest, AFailedServiceEndsTheReconcileFailedAfterPublishingIt) {
  ActivityManager activity("shop");
  NiceMock<MockPublisher> publisher;  // only what is expected is checked
  publisher.Attach(&activity);
  EXPECT_CALL(publisher, Publish(_)).Times(::testing::AnyNumber());
  EXPECT_CALL(publisher, Publish(IsStatus("db", v1::FAILED)));
  EXPECT_CALL(publisher, Publish(IsReconcileEnd(v1::ReconcileEnd::FAILED)));

  const absl::Status status =
      RunRollout(activity, publisher, "r2", {{.id = "web"}, {.id = "db", .healthy = false}}, absl::Seconds(1));
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
}

TEST(RolloutTest, AHubThatDoesNotAcknowledgeIsReportedNotIgnored) {
  ActivityManager activity("shop");
  NiceMock<MockPublisher> publisher;  // only what is expected is checked
  publisher.Attach(&activity);
  EXPECT_CALL(publisher, Flush(_)).WillOnce(Return(false));

  const absl::Status status = RunRollout(activity, publisher, "r3", {{.id = "web"}}, absl::Milliseconds(10));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("r3"));
  // The mock's default stats() count what reached Publish: the whole reconcile.
  EXPECT_EQ(publisher.stats().published, 6u);
}

}  // namespace
}  // namespace example
