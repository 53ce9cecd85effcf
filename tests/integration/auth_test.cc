// Authentication on both servers, from the first day: the hub's RPCs and the
// gateway's WebSocket upgrade.
#include <gtest/gtest.h>

#include "nanokit/bridge/v1/ingest.grpc.pb.h"
#include "nanokit/bridge/v1/watch.grpc.pb.h"
#include "tests/support/stack.h"

namespace nanokit::testing {
namespace {

namespace v1 = nanokit::bridge::v1;

constexpr char kWrongToken[] = "wrong-token-0123456789";

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(stack_.StartHub().ok());
    ASSERT_TRUE(stack_.StartGateway().ok());
  }
  int RefusedWith(WsConnectOptions options) {
    WsClient client;
    auto status = client.Connect("127.0.0.1", stack_.gateway_port(), options);
    return status.ok() ? 101 : client.refused_status();
  }
  TestStack stack_;
};

TEST_F(AuthTest, WebSocketWithoutTokenIs401) {
  EXPECT_EQ(RefusedWith({}), 401);
}

TEST_F(AuthTest, WebSocketWithWrongTokenIs401) {
  EXPECT_EQ(RefusedWith({.token = kWrongToken}), 401);
  EXPECT_EQ(RefusedWith({.token = kWrongToken, .token_in_header = true}), 401);
}

TEST_F(AuthTest, WebSocketWithTokenAsSubprotocolOrHeaderIsAccepted) {
  EXPECT_EQ(RefusedWith({.token = stack_.token()}), 101);
  EXPECT_EQ(RefusedWith({.token = stack_.token(), .token_in_header = true}), 101);
}

TEST_F(AuthTest, ForeignOriginIs403AndOwnOriginIsAccepted) {
  const std::string own = "http://127.0.0.1:" + std::to_string(stack_.gateway_port());
  EXPECT_EQ(RefusedWith({.token = stack_.token(), .origin = "http://evil.example"}), 403);
  EXPECT_EQ(RefusedWith({.token = stack_.token(), .origin = own}), 101);
}

TEST_F(AuthTest, AllowedOriginFlagLetsAnotherDashboardIn) {
  stack_.StopGateway(SIGTERM);
  ASSERT_TRUE(stack_.StartGateway({"--allowed-origin", "http://localhost:3000"}).ok());
  EXPECT_EQ(RefusedWith({.token = stack_.token(), .origin = "http://localhost:3000"}), 101);
  EXPECT_EQ(RefusedWith({.token = stack_.token(), .origin = "http://localhost:4000"}), 403);
}

TEST_F(AuthTest, TheSubprotocolIsRequired) {
  EXPECT_EQ(RefusedWith({.token = stack_.token(), .token_in_header = true, .subprotocols = {}}), 400);
}

TEST_F(AuthTest, HubRpcsWithoutOrWithWrongTokenAreUnauthenticated) {
  auto channel = stack_.HubChannel();
  auto watch = v1::WatchService::NewStub(channel);
  auto ingest = v1::IngestService::NewStub(channel);
  for (const std::string& token : {std::string(), std::string(kWrongToken)}) {
    {
      grpc::ClientContext context;
      if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
      v1::GetSnapshotRequest request;
      request.set_project("demo");
      v1::ProjectSnapshot snapshot;
      EXPECT_EQ(watch->GetSnapshot(&context, request, &snapshot).error_code(), grpc::StatusCode::UNAUTHENTICATED);
    }
    {
      grpc::ClientContext context;
      if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
      v1::WatchRequest request;
      request.set_project("demo");
      auto reader = watch->Watch(&context, request);
      v1::WatchResponse response;
      EXPECT_FALSE(reader->Read(&response));
      EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
    }
    {
      grpc::ClientContext context;
      if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
      auto stream = ingest->Publish(&context);
      v1::PublishRequest request;
      request.set_source("intruder");
      v1::Event* event = request.add_events();
      event->set_project("demo");
      event->set_source_seq(1);
      event->mutable_status_update()->set_resource_id("web");
      stream->Write(request);
      v1::PublishResponse response;
      EXPECT_FALSE(stream->Read(&response));
      EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
    }
  }
  // Nothing was accepted.
  auto snapshot = stack_.GetSnapshot("demo");
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ(snapshot->seq(), 0u);
}

TEST_F(AuthTest, TokensNeverReachTheLogs) {
  RefusedWith({.token = kWrongToken});
  RefusedWith({.token = stack_.token()});
  ASSERT_EQ(stack_.Nanokit({"emit", "status", "--resource", "web", "--status", "HEALTHY"}).exit_code, 0);
  ASSERT_EQ(stack_.StopGateway(SIGTERM), 0);
  ASSERT_EQ(stack_.StopHub(SIGTERM), 0);
  for (const std::string& log : {stack_.HubLog(), stack_.GatewayLog()}) {
    EXPECT_FALSE(log.empty());
    EXPECT_EQ(log.find(stack_.token()), std::string::npos) << log;
    EXPECT_EQ(log.find(kWrongToken), std::string::npos) << log;
  }
  EXPECT_NE(stack_.GatewayLog().find("refused (401)"), std::string::npos);
}

TEST(InsecureNoAuthTest, TurnsAuthOffLoudly) {
  TestStack stack;
  ASSERT_TRUE(stack.StartHub({"--insecure-no-auth"}).ok());
  ASSERT_TRUE(stack.StartGateway({"--insecure-no-auth"}).ok());
  WsClient client;
  EXPECT_TRUE(client.Connect("127.0.0.1", stack.gateway_port(), {}).ok());
  EXPECT_NE(stack.GatewayLog().find("AUTHENTICATION IS OFF"), std::string::npos);
  EXPECT_NE(stack.HubLog().find("AUTHENTICATION IS OFF"), std::string::npos);
}

}  // namespace
}  // namespace nanokit::testing
