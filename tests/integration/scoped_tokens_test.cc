// Scoped tokens against the real hub and gateway: what a publisher's and a
// viewer's token may do, refusals that change nothing, revocation and
// expiry ending open streams and WebSockets within seconds, a credentials
// file that is malformed, and the list of projects each viewer may see.
#include <chrono>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "absl/strings/ascii.h"
#include "auth/credentials.h"
#include "nanokit/bridge/v1/ingest.grpc.pb.h"
#include "nanokit/bridge/v1/watch.grpc.pb.h"
#include "tests/support/stack.h"

namespace nanokit::testing {
namespace {

namespace v1 = nanokit::bridge::v1;

// The servers read the file every second; an open stream ends within two.
constexpr absl::Duration kNoticed = absl::Seconds(4);

class ScopedTokensTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(stack_.StartHub().ok());
    ASSERT_TRUE(stack_.StartGateway().ok());
  }

  // `nanokit token create` in the stack's folder, which the servers read.
  std::string CreateToken(std::vector<std::string> args) {
    args.insert(args.begin(), {"token", "create"});
    auto created = RunCommand(CliBinary(), args, stack_.dir().path());
    EXPECT_EQ(created.exit_code, 0) << created.err;
    std::string token(absl::StripTrailingAsciiWhitespace(created.out));
    tokens_.push_back(token);
    AwaitKnown(token);
    return token;
  }
  // Until both servers have read the token (they read the file every
  // second): refused for what it is, no longer as unknown.
  void AwaitKnown(const std::string& token) {
    const absl::Time deadline = absl::Now() + absl::Seconds(3);
    bool hub = false;
    bool gateway = false;
    while (absl::Now() < deadline && !(hub && gateway)) {
      v1::ProjectSnapshot snapshot;
      hub = hub || SnapshotAs(token, "any", &snapshot).error_code() != grpc::StatusCode::UNAUTHENTICATED;
      WsClient client;
      gateway = gateway || client.Connect("127.0.0.1", stack_.gateway_port(), {.token = token}).ok() ||
                client.refused_status() != 401;
      if (!(hub && gateway)) absl::SleepFor(absl::Milliseconds(100));
    }
    EXPECT_TRUE(hub && gateway) << "the servers did not notice the new token within 3 s";
  }
  void Revoke(const std::string& name) {
    auto revoked = RunCommand(CliBinary(), {"token", "revoke", name}, stack_.dir().path());
    ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
  }
  std::string CredentialsFile() const { return stack_.dir().File(".nanokit/credentials"); }

  std::unique_ptr<v1::WatchService::Stub> Watch() { return v1::WatchService::NewStub(stack_.HubChannel()); }
  std::unique_ptr<v1::IngestService::Stub> Ingest() { return v1::IngestService::NewStub(stack_.HubChannel()); }

  static v1::PublishRequest Request(const std::string& source, uint64_t first_seq,
                                    const std::vector<std::string>& projects) {
    v1::PublishRequest request;
    request.set_source(source);
    for (const std::string& project : projects) {
      v1::Event* event = request.add_events();
      event->set_project(project);
      event->set_source_seq(first_seq++);
      event->mutable_status_update()->set_resource_id("web");
      event->mutable_status_update()->set_status(v1::HEALTHY);
      // Each a change: an update equal to the state is a no-op.
      event->mutable_status_update()->set_message("step " + std::to_string(event->source_seq()));
    }
    return request;
  }

  // One request on its own stream: the stream's status.
  grpc::Status PublishOnce(const std::string& token, const v1::PublishRequest& request) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + token);
    auto stream = Ingest()->Publish(&context);
    stream->Write(request);
    stream->WritesDone();
    v1::PublishResponse response;
    while (stream->Read(&response)) {
    }
    return stream->Finish();
  }

  grpc::Status SnapshotAs(const std::string& token, const std::string& project, v1::ProjectSnapshot* snapshot) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + token);
    v1::GetSnapshotRequest request;
    request.set_project(project);
    return Watch()->GetSnapshot(&context, request, snapshot);
  }

  uint64_t AdminSeq(const std::string& project) {
    auto snapshot = stack_.GetSnapshot(project);
    EXPECT_TRUE(snapshot.ok()) << snapshot.status();
    return snapshot.ok() ? snapshot->seq() : 0;
  }

  std::unique_ptr<WsClient> Dashboard(const std::string& token) {
    auto client = std::make_unique<WsClient>();
    auto status = client->Connect("127.0.0.1", stack_.gateway_port(), {.token = token});
    EXPECT_TRUE(status.ok()) << status;
    return client;
  }
  static void Send(WsClient& client, const std::string& type, const std::string& project = "") {
    v1::ClientMessage message;
    message.set_type(type);
    message.set_project(project);
    ASSERT_TRUE(client.Send(message).ok());
  }
  // The names in the next "projects" message that is full (or any, when
  // full_only is false).
  static absl::StatusOr<v1::ProjectList> NextProjects(WsClient& client, bool full_only = false) {
    auto message = client.ReadUntil(
        [&](const v1::ServerMessage& m) { return m.type() == "projects" && (!full_only || m.project_list().full()); },
        absl::Seconds(5));
    if (!message.ok()) return message.status();
    return message->project_list();
  }
  static std::vector<std::string> Names(const v1::ProjectList& list) {
    std::vector<std::string> names;
    for (const auto& summary : list.projects()) names.push_back(summary.project());
    return names;
  }

  void TearDown() override {
    // Whatever happened, no token reached a log.
    stack_.StopGateway(SIGTERM);
    stack_.StopHub(SIGTERM);
    for (const std::string& log : {stack_.HubLog(), stack_.GatewayLog()}) {
      for (const std::string& token : tokens_) EXPECT_EQ(log.find(token), std::string::npos) << log;
      EXPECT_EQ(log.find(stack_.token()), std::string::npos) << log;
    }
  }

  TestStack stack_;
  std::vector<std::string> tokens_;
};

TEST_F(ScopedTokensTest, APublisherPublishesOnlyToItsProjectsAndARequestMixingThemIsRefusedWhole) {
  const std::string token = CreateToken({"--name", "ci", "--role", "publisher", "--project", "shop"});
  EXPECT_TRUE(PublishOnce(token, Request("ci-job", 1, {"shop"})).ok());
  EXPECT_EQ(AdminSeq("shop"), 1u);

  grpc::Status mixed = PublishOnce(token, Request("ci-job", 2, {"shop", "secret", "shop"}));
  EXPECT_EQ(mixed.error_code(), grpc::StatusCode::PERMISSION_DENIED) << mixed.error_message();
  EXPECT_NE(mixed.error_message().find("\"secret\""), std::string::npos) << mixed.error_message();
  EXPECT_EQ(AdminSeq("shop"), 1u) << "nothing of a refused request is accepted";
  EXPECT_EQ(AdminSeq("secret"), 0u);
  // Nothing else is affected: the next good request goes through.
  EXPECT_TRUE(PublishOnce(token, Request("ci-job", 2, {"shop"})).ok());
  EXPECT_EQ(AdminSeq("shop"), 2u);
}

TEST_F(ScopedTokensTest, APublisherCannotWatchAndAViewerCannotPublish) {
  const std::string publisher = CreateToken({"--name", "ci", "--role", "publisher", "--all-projects"});
  const std::string viewer = CreateToken({"--name", "team", "--role", "viewer", "--all-projects"});
  v1::ProjectSnapshot snapshot;
  EXPECT_EQ(SnapshotAs(publisher, "shop", &snapshot).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + publisher);
    v1::WatchRequest request;
    request.set_project("shop");
    auto reader = Watch()->Watch(&context, request);
    v1::WatchResponse response;
    EXPECT_FALSE(reader->Read(&response));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
  WsClient refused;
  EXPECT_FALSE(refused.Connect("127.0.0.1", stack_.gateway_port(), {.token = publisher}).ok());
  EXPECT_EQ(refused.refused_status(), 403);

  EXPECT_EQ(PublishOnce(viewer, Request("viewer", 1, {"shop"})).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(AdminSeq("shop"), 0u);
  EXPECT_TRUE(SnapshotAs(viewer, "shop", &snapshot).ok());
}

TEST_F(ScopedTokensTest, AViewerSeesOnlyItsProjectsAndAForbiddenSubscribeKeepsTheConnection) {
  const std::string viewer = CreateToken({"--name", "team", "--role", "viewer", "--project", "shop"});
  ASSERT_TRUE(PublishOnce(stack_.token(), Request("admin", 1, {"shop", "secret"})).ok());
  v1::ProjectSnapshot snapshot;
  EXPECT_TRUE(SnapshotAs(viewer, "shop", &snapshot).ok());
  grpc::Status forbidden = SnapshotAs(viewer, "secret", &snapshot);
  EXPECT_EQ(forbidden.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(SnapshotAs(viewer, "nonexistent", &snapshot).error_message(),
            std::string(forbidden.error_message()).replace(forbidden.error_message().find("secret"), 6, "nonexistent"))
      << "the same refusal whether the project exists or not";

  auto dashboard = Dashboard(viewer);
  Send(*dashboard, "subscribe", "secret");
  auto error = dashboard->ReadUntil([](const v1::ServerMessage& m) { return m.type() == "error"; }, absl::Seconds(5));
  ASSERT_TRUE(error.ok()) << error.status();
  EXPECT_EQ(error->error().code(), "forbidden");
  EXPECT_EQ(error->project(), "secret");
  Send(*dashboard, "subscribe", "shop");
  auto reply = dashboard->ReadUntil([](const v1::ServerMessage& m) { return m.type() == "snapshot"; }, absl::Seconds(5));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->project(), "shop");
  EXPECT_EQ(reply->seq(), 1u);
}

TEST_F(ScopedTokensTest, RevokingATokenEndsItsStreamsAndWebSocketsWithinSeconds) {
  const std::string viewer = CreateToken({"--name", "team", "--role", "viewer", "--project", "shop"});
  const std::string publisher = CreateToken({"--name", "ci", "--role", "publisher", "--project", "shop"});
  // A watch, a publish stream and a WebSocket, each open on its token.
  grpc::ClientContext watch_context;
  watch_context.AddMetadata("authorization", "Bearer " + viewer);
  v1::WatchRequest watch_request;
  watch_request.set_project("shop");
  auto watch = Watch()->Watch(&watch_context, watch_request);
  v1::WatchResponse first;
  ASSERT_TRUE(watch->Read(&first));

  grpc::ClientContext publish_context;
  publish_context.AddMetadata("authorization", "Bearer " + publisher);
  auto publish = Ingest()->Publish(&publish_context);
  ASSERT_TRUE(publish->Write(Request("ci-job", 1, {"shop"})));
  v1::PublishResponse ack;
  ASSERT_TRUE(publish->Read(&ack));
  EXPECT_EQ(ack.acked_source_seq(), 1u);

  auto dashboard = Dashboard(viewer);
  Send(*dashboard, "subscribe", "shop");
  ASSERT_TRUE(dashboard->ReadUntil([](const v1::ServerMessage& m) { return m.type() == "snapshot"; }, absl::Seconds(5))
                  .ok());

  const auto revoked_at = std::chrono::steady_clock::now();
  Revoke("team");
  Revoke("ci");

  v1::WatchResponse response;
  while (watch->Read(&response)) {
  }
  EXPECT_EQ(watch->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  while (publish->Read(&ack)) {
  }
  EXPECT_EQ(publish->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  while (true) {
    auto message = dashboard->Read(kNoticed);
    if (!message.ok()) {
      ASSERT_FALSE(absl::IsDeadlineExceeded(message.status())) << "the WebSocket stayed open";
      break;
    }
  }
  EXPECT_EQ(dashboard->close_code(), 4401);
  EXPECT_LT(std::chrono::steady_clock::now() - revoked_at, std::chrono::seconds(4));

  // And from then on the tokens are refused.
  v1::ProjectSnapshot snapshot;
  EXPECT_EQ(SnapshotAs(viewer, "shop", &snapshot).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(PublishOnce(publisher, Request("ci-job", 2, {"shop"})).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  WsClient again;
  EXPECT_FALSE(again.Connect("127.0.0.1", stack_.gateway_port(), {.token = viewer}).ok());
  EXPECT_EQ(again.refused_status(), 401);
  EXPECT_NE(stack_.GatewayLog().find("revoked or has expired; closing (4401)"), std::string::npos);
}

TEST_F(ScopedTokensTest, AnExpiredTokenIsRefusedAndSaysSo) {
  const std::string token = "expired-token-made-by-the-test-0123456789";
  tokens_.push_back(token);
  auth::Credential credential;
  credential.name = "old";
  credential.role = auth::Role::kViewer;
  credential.all_projects = true;
  credential.expires = absl::Now() - absl::Hours(1);
  credential.token_sha256 = auth::TokenSha256(token);
  auth::CredentialSet set;
  ASSERT_TRUE(set.Add(credential).ok());
  ASSERT_TRUE(auth::WriteCredentialsFile(CredentialsFile(), set).ok());
  absl::SleepFor(absl::Milliseconds(2500));  // the servers' next read

  v1::ProjectSnapshot snapshot;
  grpc::Status refused = SnapshotAs(token, "shop", &snapshot);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(refused.error_message().find("\"old\" expired"), std::string::npos) << refused.error_message();
  WsClient client;
  EXPECT_FALSE(client.Connect("127.0.0.1", stack_.gateway_port(), {.token = token}).ok());
  EXPECT_EQ(client.refused_status(), 401);
  EXPECT_NE(client.refused_body().find("expired"), std::string::npos) << client.refused_body();
}

TEST_F(ScopedTokensTest, AMalformedCredentialsFileStopsAStartAndOnReloadTheLastGoodOneStays) {
  const std::string viewer = CreateToken({"--name", "team", "--role", "viewer", "--all-projects"});
  {
    std::ofstream out(CredentialsFile(), std::ios::app);
    out << "this line is not a credential\n";
  }
  absl::SleepFor(absl::Milliseconds(2500));
  v1::ProjectSnapshot snapshot;
  EXPECT_TRUE(SnapshotAs(viewer, "shop", &snapshot).ok()) << "the last good credentials stay";
  EXPECT_NE(stack_.HubLog().find("keeping the last good ones"), std::string::npos) << stack_.HubLog();
  EXPECT_NE(stack_.GatewayLog().find("keeping the last good ones"), std::string::npos);

  auto started = RunCommand(HubBinary(), {"--listen", "127.0.0.1:0", "--token-file", stack_.token_file(),
                                          "--in-memory", "--credentials", CredentialsFile()},
                            stack_.dir().path());
  EXPECT_EQ(started.exit_code, 2);
  // The header, its comment, the credential, then the bad line.
  EXPECT_NE(started.err.find("line 4"), std::string::npos) << started.err;
}

TEST_F(ScopedTokensTest, EachViewerFollowsTheListOfTheProjectsItMaySee) {
  const std::string shop_only = CreateToken({"--name", "shop-team", "--role", "viewer", "--project", "shop"});
  const std::string everything = CreateToken({"--name", "ops", "--role", "viewer", "--all-projects"});
  ASSERT_TRUE(PublishOnce(stack_.token(), Request("admin", 1, {"shop", "secret"})).ok());

  auto narrow = Dashboard(shop_only);
  auto wide = Dashboard(everything);
  Send(*narrow, "watch_projects");
  Send(*wide, "watch_projects");
  auto narrow_list = NextProjects(*narrow, true);
  ASSERT_TRUE(narrow_list.ok()) << narrow_list.status();
  EXPECT_EQ(Names(*narrow_list), std::vector<std::string>{"shop"});
  auto wide_list = NextProjects(*wide, true);
  ASSERT_TRUE(wide_list.ok());
  EXPECT_EQ(Names(*wide_list), (std::vector<std::string>{"secret", "shop"}));
  EXPECT_EQ(wide_list->projects(1).seq(), 1u);
  EXPECT_TRUE(wide_list->projects(1).has_last_change_at());

  // A project that appears later shows up for who may see it, and only them.
  ASSERT_TRUE(PublishOnce(stack_.token(), Request("admin", 3, {"newcomer"})).ok());
  auto change = wide->ReadUntil(
      [](const v1::ServerMessage& m) {
        if (m.type() != "projects") return false;
        for (const auto& p : m.project_list().projects()) {
          if (p.project() == "newcomer") return true;
        }
        return false;
      },
      absl::Seconds(5));
  ASSERT_TRUE(change.ok()) << change.status();
  while (true) {
    auto message = narrow->ReadMessage(absl::Milliseconds(1500));
    if (!message.ok()) break;
    ASSERT_EQ(message->DebugString().find("newcomer"), std::string::npos) << message->DebugString();
    ASSERT_EQ(message->DebugString().find("secret"), std::string::npos) << message->DebugString();
  }

  // The hub's own list, for a viewer: the same scope.
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + shop_only);
  auto reader = Watch()->WatchProjects(&context, v1::WatchProjectsRequest());
  v1::ProjectList hub_list;
  ASSERT_TRUE(reader->Read(&hub_list));
  EXPECT_TRUE(hub_list.full());
  EXPECT_EQ(Names(hub_list), std::vector<std::string>{"shop"});
  context.TryCancel();
}

TEST_F(ScopedTokensTest, AViewerThatLosesAProjectLosesItsSubscriptionAndListEntry) {
  const std::string viewer =
      CreateToken({"--name", "team", "--role", "viewer", "--project", "shop", "--project", "web"});
  ASSERT_TRUE(PublishOnce(stack_.token(), Request("admin", 1, {"shop", "web"})).ok());
  auto dashboard = Dashboard(viewer);
  Send(*dashboard, "watch_projects");
  Send(*dashboard, "subscribe", "web");
  auto list = NextProjects(*dashboard, true);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(Names(*list), (std::vector<std::string>{"shop", "web"}));

  // The operator narrows the token by hand (the file is documented).
  auto set = auth::LoadCredentialsFile(CredentialsFile());
  ASSERT_TRUE(set.ok());
  auth::Credential team = *set->FindByName("team");
  team.projects = {"shop"};
  ASSERT_TRUE(set->Remove("team").ok());
  ASSERT_TRUE(set->Add(team).ok());
  ASSERT_TRUE(auth::WriteCredentialsFile(CredentialsFile(), *set).ok());

  bool forbidden = false;
  auto narrowed = dashboard->ReadUntil(
      [](const v1::ServerMessage& m) { return m.type() == "projects" && m.project_list().full(); }, kNoticed,
      [&](const v1::ServerMessage& m) {
        forbidden |= m.type() == "error" && m.error().code() == "forbidden" && m.project() == "web";
      });
  ASSERT_TRUE(narrowed.ok()) << narrowed.status();
  EXPECT_EQ(Names(narrowed->project_list()), std::vector<std::string>{"shop"});
  EXPECT_TRUE(forbidden) << "the subscription to web ended with forbidden";
  // The connection stays.
  Send(*dashboard, "subscribe", "shop");
  EXPECT_TRUE(dashboard->ReadUntil([](const v1::ServerMessage& m) { return m.type() == "snapshot"; }, absl::Seconds(5))
                  .ok());
}

}  // namespace
}  // namespace nanokit::testing
