#include "protocol/server_message.h"

#include <gtest/gtest.h>
#include <google/protobuf/util/json_util.h>

namespace nanokit {
namespace {

namespace v1 = nanokit::bridge::v1;

TEST(ServerMessageTest, StatusUpdateHasTheDocumentedFlatShape) {
  v1::Event event;
  event.set_project("demo");
  event.set_seq(42);
  event.mutable_emitted_at()->set_seconds(1764125145);
  event.mutable_emitted_at()->set_nanos(123000000);
  auto* update = event.mutable_status_update();
  update->set_resource_id("web");
  update->set_status(v1::HEALTHY);
  update->set_message("listening");
  EXPECT_EQ(ToJson(EventToServerMessage(event)),
            "{\"type\":\"status_update\",\"project\":\"demo\",\"seq\":\"42\",\"emittedAt\":\"2025-11-26T02:45:45."
            "123Z\",\"statusUpdate\":{\"resourceId\":\"web\",\"status\":\"HEALTHY\",\"message\":\"listening\"}}");
}

TEST(ServerMessageTest, EveryStatusIsWrittenWithoutPrefix) {
  for (auto [status, name] : std::vector<std::pair<v1::Status, std::string>>{
           {v1::PENDING, "PENDING"}, {v1::DEPLOYING, "DEPLOYING"}, {v1::HEALTHY, "HEALTHY"},
           {v1::FAILED, "FAILED"}, {v1::STOPPED, "STOPPED"}}) {
    v1::StatusUpdate update;
    update.set_status(status);
    EXPECT_EQ(ToJson(update), "{\"status\":\"" + name + "\"}");
  }
  // UNKNOWN is the default, which canonical proto3 JSON omits...
  v1::StatusUpdate unknown;
  EXPECT_EQ(ToJson(unknown), "{}");
  // ...and any parser accepts spelled out.
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage("{\"status\":\"UNKNOWN\"}", &unknown).ok());
  EXPECT_EQ(unknown.status(), v1::UNKNOWN);
}

TEST(ServerMessageTest, EventsRoundTripThroughServerMessages) {
  v1::Event event;
  event.set_project("demo");
  event.set_seq(7);
  event.mutable_reconcile_end()->set_reconcile_id("r1");
  event.mutable_reconcile_end()->set_outcome(v1::ReconcileEnd::FAILED);
  v1::ServerMessage message = EventToServerMessage(event);
  EXPECT_EQ(message.type(), "reconcile_end");
  v1::Event back;
  ASSERT_TRUE(ServerMessageToEvent(message, &back));
  EXPECT_EQ(back.SerializeAsString(), event.SerializeAsString());
  EXPECT_FALSE(ServerMessageToEvent(SnapshotMessage(v1::ProjectSnapshot()), &back));
}

TEST(ServerMessageTest, SplicedMessagesEqualThePrintersOutput) {
  v1::ServerMessage whole;
  whole.set_type("resumed");
  whole.set_project("demo");
  whole.set_seq(3);
  whole.set_epoch("abc");
  std::vector<std::string> parts;
  for (int i = 1; i <= 3; ++i) {
    v1::Event event;
    event.set_project("demo");
    event.set_seq(static_cast<uint64_t>(i));
    event.mutable_log_stream()->set_resource_id("web");
    event.mutable_log_stream()->add_lines("line \"" + std::to_string(i) + "\"\n");
    v1::ServerMessage m = EventToServerMessage(event);
    parts.push_back(ToJson(m));
    *whole.add_messages() = m;
  }
  v1::ServerMessage header = whole;
  header.clear_messages();
  std::vector<absl::string_view> views(parts.begin(), parts.end());
  EXPECT_EQ(JsonWithMessages(header, views), ToJson(whole));
  EXPECT_EQ(JsonWithMessages(header, {}), ToJson(header));
}

TEST(ServerMessageTest, ErrorMessage) {
  EXPECT_EQ(ToJson(ErrorMessage("unknown_type", "nope")),
            "{\"type\":\"error\",\"error\":{\"code\":\"unknown_type\",\"message\":\"nope\"}}");
}

}  // namespace
}  // namespace nanokit
