// The command lines are a contract: flags, exit codes, first stdout line,
// signals.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tests/support/stack.h"

namespace nanokit::testing {
namespace {

namespace v1 = nanokit::bridge::v1;

TEST(CliTest, InitWritesAPrivateTokenAndKeepsAnExistingOne) {
  TempDir dir;
  auto first = RunCommand(CliBinary(), {"init"}, dir.path());
  ASSERT_EQ(first.exit_code, 0) << first.err;
  struct stat st;
  ASSERT_EQ(stat(dir.File(".nanokit/token").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  const std::string token = dir.ReadFile(".nanokit/token");
  EXPECT_EQ(token.size(), 44u);  // 43 characters and a newline
  EXPECT_EQ(first.out.find(token.substr(0, 43)), std::string::npos) << "init must not print the token";

  auto second = RunCommand(CliBinary(), {"init"}, dir.path());
  EXPECT_NE(second.exit_code, 0);
  EXPECT_NE(second.err.find("--force"), std::string::npos);
  EXPECT_EQ(dir.ReadFile(".nanokit/token"), token);

  auto forced = RunCommand(CliBinary(), {"init", "--force"}, dir.path());
  EXPECT_EQ(forced.exit_code, 0);
  EXPECT_NE(dir.ReadFile(".nanokit/token"), token);
}

TEST(CliTest, HelpListsEveryFlagWithItsDefault) {
  auto hub = RunCommand(HubBinary(), {"--help"});
  EXPECT_EQ(hub.exit_code, 0);
  for (const char* flag : {"--listen", "127.0.0.1:7700", "--token-file", ".nanokit/token", "--insecure-no-auth",
                           "--heartbeat-interval", "--tls-cert", "--tls-key", "--tls-client-ca"}) {
    EXPECT_NE(hub.out.find(flag), std::string::npos) << flag;
  }
  auto gateway = RunCommand(GatewayBinary(), {"--help"});
  EXPECT_EQ(gateway.exit_code, 0);
  for (const char* flag : {"--listen", "127.0.0.1:7701", "--hub", "--token-file", "--allowed-origin",
                           "--insecure-no-auth", "--heartbeat-interval", "--hub-ca", "--hub-cert", "--hub-key"}) {
    EXPECT_NE(gateway.out.find(flag), std::string::npos) << flag;
  }
  auto emit = RunCommand(CliBinary(), {"emit", "--help"});
  EXPECT_EQ(emit.exit_code, 0);
  EXPECT_NE(emit.out.find("reconcile-start"), std::string::npos);
}

TEST(CliTest, ABadFlagIsOneLineNamingItAndExitCode2) {
  for (const std::string& binary : {HubBinary(), GatewayBinary()}) {
    auto r = RunCommand(binary, {"--listne", "x"});
    EXPECT_EQ(r.exit_code, 2) << binary;
    EXPECT_NE(r.err.find("--listne"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    auto bad_value = RunCommand(binary, {"--listen", "nowhere"});
    EXPECT_EQ(bad_value.exit_code, 2);
    EXPECT_NE(bad_value.err.find("--listen"), std::string::npos) << bad_value.err;
  }
  auto emit = RunCommand(CliBinary(), {"emit", "status", "--resource", "web", "--status", "GREEN"});
  EXPECT_EQ(emit.exit_code, 2);
  EXPECT_NE(emit.err.find("--status"), std::string::npos);
}

TEST(CliTest, AMissingTokenFileIsOneLineNamingTheFile) {
  TempDir dir;
  for (const std::string& binary : {HubBinary(), GatewayBinary()}) {
    auto r = RunCommand(binary, {"--listen", "127.0.0.1:0", "--token-file", dir.File("absent")}, dir.path());
    EXPECT_EQ(r.exit_code, 2) << binary;
    EXPECT_NE(r.err.find(dir.File("absent")), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--token-file"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  auto emit = RunCommand(CliBinary(), {"emit", "status", "--resource", "web", "--status", "HEALTHY"}, dir.path());
  EXPECT_EQ(emit.exit_code, 2);
  EXPECT_NE(emit.err.find(".nanokit/token"), std::string::npos) << emit.err;
}

TEST(CliTest, EmitWithoutAHubFailsAfterItsTimeout) {
  TestStack stack;  // token written, nothing started
  auto r = RunCommand(CliBinary(), {"emit", "status", "--hub", "127.0.0.1:1", "--token-file", stack.token_file(),
                                    "--resource", "web", "--status", "HEALTHY", "--timeout", "1s"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("did not acknowledge"), std::string::npos) << r.err;
}

TEST(CliTest, SigtermClosesWebSocketsWith1001AndExitsZeroQuickly) {
  TestStack stack;
  ASSERT_TRUE(stack.StartHub().ok());
  ASSERT_TRUE(stack.StartGateway().ok());
  auto client = stack.ConnectClient();
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->SendText(R"({"type":"subscribe","project":"demo"})").ok());
  ASSERT_TRUE((*client)->ReadMessage().ok());  // the gateway now watches the hub

  const absl::Time start = absl::Now();
  stack.gateway()->Signal(SIGTERM);
  auto closed = (*client)->ReadUntil([](const v1::ServerMessage&) { return false; }, absl::Seconds(5));
  EXPECT_EQ(closed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ((*client)->close_code(), 1001);
  EXPECT_EQ(stack.gateway()->Wait(absl::Seconds(5)), 0);
  EXPECT_EQ(stack.StopHub(SIGINT), 0);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST(CliTest, HubExitsZeroOnSigintWithAnOpenPublisherAndWatcher) {
  TestStack stack;
  ASSERT_TRUE(stack.StartHub().ok());
  ASSERT_TRUE(stack.StartGateway().ok());
  auto client = stack.ConnectClient();
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->SendText(R"({"type":"subscribe","project":"demo"})").ok());
  ASSERT_TRUE((*client)->ReadMessage().ok());
  auto demo = stack.StartDemo({"--interval", "50ms"});
  ASSERT_TRUE(demo.ok());
  ASSERT_TRUE((*client)->ReadUntil([](const v1::ServerMessage& m) { return m.type() == "status_update"; },
                                   absl::Seconds(10))
                  .ok());
  const absl::Time start = absl::Now();
  EXPECT_EQ(stack.StopHub(SIGINT), 0);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  (*demo)->Signal(SIGINT);
  EXPECT_EQ((*demo)->Wait(absl::Seconds(10)), 0) << stack.dir().ReadFile("demo.log");
}

TEST(CliTest, ServersPrintTheBoundAddressFirst) {
  TestStack stack;
  ASSERT_TRUE(stack.StartHub().ok());
  EXPECT_GT(stack.hub_port(), 0);
  ASSERT_TRUE(stack.StartGateway().ok());
  EXPECT_GT(stack.gateway_port(), 0);
  EXPECT_NE(stack.hub_port(), stack.gateway_port());
}

TEST(CliTest, TokenCreatePrintsATokenOnceListShowsScopesAndRevokeForgetsIt) {
  TempDir dir;
  auto created = RunCommand(CliBinary(),
                            {"token", "create", "--name", "ci-deployer", "--role", "publisher", "--project", "shop",
                             "--project", "web", "--expires", "30d"},
                            dir.path());
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const std::string token(absl::StripTrailingAsciiWhitespace(created.out));
  EXPECT_EQ(token.size(), 43u) << "256 bits, base64url, alone on stdout: " << created.out;
  EXPECT_EQ(created.err.find(token), std::string::npos);

  const std::string file = dir.ReadFile(".nanokit/credentials");
  EXPECT_EQ(file.find(token), std::string::npos) << "only the hash is stored";
  struct stat st;
  ASSERT_EQ(stat(dir.File(".nanokit/credentials").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);

  auto viewer = RunCommand(CliBinary(), {"token", "create", "--name", "team", "--role", "viewer", "--all-projects"},
                           dir.path());
  ASSERT_EQ(viewer.exit_code, 0) << viewer.err;
  EXPECT_NE(absl::StripTrailingAsciiWhitespace(viewer.out), token) << "each token is new";

  auto listed = RunCommand(CliBinary(), {"token", "list"}, dir.path());
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("ci-deployer\tpublisher\tshop,web\t"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("team\tviewer\t*\tnever"), std::string::npos) << listed.out;
  EXPECT_EQ(listed.out.find(token), std::string::npos) << "list never shows a token";

  auto again = RunCommand(CliBinary(), {"token", "create", "--name", "team", "--role", "viewer", "--all-projects"},
                          dir.path());
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.err.find("exists"), std::string::npos) << again.err;

  auto revoked = RunCommand(CliBinary(), {"token", "revoke", "ci-deployer"}, dir.path());
  ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
  listed = RunCommand(CliBinary(), {"token", "list"}, dir.path());
  EXPECT_EQ(listed.out.find("ci-deployer"), std::string::npos) << listed.out;
  EXPECT_NE(RunCommand(CliBinary(), {"token", "revoke", "ci-deployer"}, dir.path()).exit_code, 0);

  for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
           {"token", "create", "--name", "x", "--role", "admin", "--project", "p"},
           {"token", "create", "--name", "x", "--role", "viewer"},
           {"token", "create", "--name", "-x", "--role", "viewer", "--all-projects"},
           {"token", "create", "--name", "x", "--role", "viewer", "--project", "p", "--expires", "soon"},
       }) {
    auto r = RunCommand(CliBinary(), bad, dir.path());
    EXPECT_EQ(r.exit_code, 2) << absl::StrJoin(bad, " ") << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

}  // namespace
}  // namespace nanokit::testing
