// Bad input gets a clear error and loses nothing; the servers keep running.
#include <gtest/gtest.h>

#include "nanokit/bridge/v1/ingest.grpc.pb.h"
#include "tests/support/sanitizers.h"
#include "tests/support/stack.h"

namespace nanokit::testing {
namespace {

namespace v1 = nanokit::bridge::v1;

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(stack_.StartHub().ok());
    ASSERT_TRUE(stack_.StartGateway().ok());
    auto client = stack_.ConnectClient();
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
  }

  // The next non-heartbeat message must be an error with this code.
  void ExpectError(const std::string& code) {
    auto m = client_->ReadUntil([](const v1::ServerMessage& m) { return m.type() != "heartbeat"; }, absl::Seconds(5));
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(m->type(), "error");
    EXPECT_EQ(m->error().code(), code);
    EXPECT_FALSE(m->error().message().empty());
  }

  // The connection still works: a subscribe gets its snapshot.
  void ExpectStillServing() {
    ASSERT_TRUE(client_->SendText(R"({"type":"subscribe","project":"demo"})").ok());
    auto m = client_->ReadUntil([](const v1::ServerMessage& m) { return m.type() == "snapshot"; }, absl::Seconds(5));
    ASSERT_TRUE(m.ok()) << m.status();
  }

  TestStack stack_;
  std::unique_ptr<WsClient> client_;
};

TEST_F(BadInputTest, InvalidJsonGetsAnError) {
  ASSERT_TRUE(client_->SendText("{not json").ok());
  ExpectError("invalid_json");
  ASSERT_TRUE(client_->SendText(R"({"type":"subscribe","afterSeq":"many"})").ok());
  ExpectError("invalid_json");
  ExpectStillServing();
}

TEST_F(BadInputTest, UnknownTypeGetsAnError) {
  ASSERT_TRUE(client_->SendText(R"({"type":"launch_missiles","project":"demo"})").ok());
  ExpectError("unknown_type");
  ASSERT_TRUE(client_->SendText(R"({"project":"demo"})").ok());
  ExpectError("unknown_type");
  ExpectStillServing();
}

TEST_F(BadInputTest, BinaryFramesAndBadProjectNamesGetErrors) {
  ASSERT_TRUE(client_->SendBinary(std::string("\x00\x01\x02", 3)).ok());
  ExpectError("invalid_message");
  ASSERT_TRUE(client_->SendText(R"({"type":"subscribe","project":"../etc/passwd"})").ok());
  ExpectError("invalid_project");
  ASSERT_TRUE(client_->SendText(R"({"type":"subscribe","project":""})").ok());
  ExpectError("invalid_project");
  ExpectStillServing();
}

TEST_F(BadInputTest, AFloodOfBadFramesNeitherCrashesNorGrowsMemory) {
  constexpr int kWarmup = 1000;
  constexpr int kFlood = 20000;
  auto flood = [&](int n) {
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(client_->SendText(i % 2 ? "][" : R"({"type":"nope"})").ok());
    }
    for (int i = 0; i < n; ++i) {
      auto m = client_->ReadUntil([](const v1::ServerMessage& m) { return m.type() != "heartbeat"; },
                                  absl::Seconds(10));
      ASSERT_TRUE(m.ok()) << m.status() << " after " << i;
      ASSERT_EQ(m->type(), "error");
    }
  };
  flood(kWarmup);
  const size_t before = ResidentBytes(stack_.gateway()->pid());
  flood(kFlood);
  const size_t after = ResidentBytes(stack_.gateway()->pid());
#ifndef NANOKIT_ASAN
  EXPECT_LT(after, before + 8 * 1024 * 1024) << "RSS grew from " << before << " to " << after;
#else
  // ASan holds freed memory in quarantine, so RSS says nothing here; the
  // optimized build checks the bound.
  (void)before;
  (void)after;
#endif
  ExpectStillServing();
  EXPECT_TRUE(stack_.gateway()->running());
}

TEST_F(BadInputTest, AnOversizedFrameClosesOnlyThatConnectionWith1009) {
  // Over the 64 KiB limit. The server may close before the whole frame is
  // written, so the write itself may fail.
  (void)client_->SendText(std::string(100 * 1024, 'x'));
  auto m = client_->ReadUntil([](const v1::ServerMessage&) { return false; }, absl::Seconds(5));
  EXPECT_EQ(m.status().code(), absl::StatusCode::kUnavailable) << m.status();
  // The server sends close 1009 and tears the TCP connection down with the
  // rest of the frame unread, so the close frame can be lost to the reset;
  // when it arrives it says 1009, and the gateway always logs why.
  if (client_->close_code().has_value()) {
    EXPECT_EQ(*client_->close_code(), 1009);
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (stack_.GatewayLog().find("over 65536 bytes; closed (1009)") == std::string::npos && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_NE(stack_.GatewayLog().find("over 65536 bytes; closed (1009)"), std::string::npos) << stack_.GatewayLog();
  // Everyone else is fine.
  auto other = stack_.ConnectClient();
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->SendText(R"({"type":"subscribe","project":"demo"})").ok());
  auto snapshot = (*other)->ReadMessage();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_EQ(snapshot->type(), "snapshot");
}

TEST_F(BadInputTest, MalformedHttpIs400AndTheGatewayKeepsRunning) {
  auto result = HttpGet(stack_.gateway_port(), "", "NOT-HTTP \x01\x02\r\n\r\n");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->status, 400);
  auto health = HttpGet(stack_.gateway_port(), "/healthz");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200);
}

TEST_F(BadInputTest, HubRejectsInvalidPublishesClearlyAndKeepsServing) {
  auto ingest = v1::IngestService::NewStub(stack_.HubChannel());
  auto publish = [&](const v1::PublishRequest& request) {
    grpc::ClientContext context;
    stack_.Authorize(&context);
    auto stream = ingest->Publish(&context);
    stream->Write(request);
    stream->WritesDone();
    v1::PublishResponse response;
    while (stream->Read(&response)) {
    }
    return stream->Finish();
  };
  v1::PublishRequest no_source;
  grpc::Status status = publish(no_source);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("source"), std::string::npos);

  v1::PublishRequest no_payload;
  no_payload.set_source("s");
  no_payload.add_events()->set_project("demo");
  no_payload.mutable_events(0)->set_source_seq(1);
  status = publish(no_payload);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("payload"), std::string::npos);

  EXPECT_EQ(stack_.Nanokit({"emit", "status", "--resource", "web", "--status", "HEALTHY"}).exit_code, 0);
  EXPECT_EQ(stack_.GetSnapshot("demo")->seq(), 1u);
}

}  // namespace
}  // namespace nanokit::testing
