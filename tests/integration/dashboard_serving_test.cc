// The gateway serves the dashboard: from the build tree, from an install
// made with `cmake --install`, or from --static-dir; nothing outside it;
// and /healthz tells a page whether its token is needed and right.

#include <csignal>
#include <fstream>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "tests/support/stack.h"
#include "tests/support/ws_client.h"

namespace nanokit::testing {
namespace {

std::string Request(const std::string& method, const std::string& path, uint16_t port,
                    const std::string& extra_headers = "") {
  return absl::StrCat(method, " ", path, " HTTP/1.1\r\nHost: 127.0.0.1:", port, "\r\n", extra_headers,
                      "Connection: close\r\nContent-Length: 0\r\n\r\n");
}

class DashboardServingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(stack_.StartHub().ok());
    ASSERT_TRUE(stack_.StartGateway().ok());
  }
  TestStack stack_;
};

TEST_F(DashboardServingTest, ServesTheDashboardFromTheBuildTree) {
  auto index = HttpGet(stack_.gateway_port(), "/");
  ASSERT_TRUE(index.ok()) << index.status();
  EXPECT_EQ(index->status, 200);
  EXPECT_EQ(index->headers["content-type"], "text/html; charset=utf-8");
  EXPECT_NE(index->body.find("<script type=\"module\" src=\"app.js\"></script>"), std::string::npos);
  // Nothing from elsewhere: the page may talk to this gateway only.
  EXPECT_NE(index->headers["content-security-policy"].find("default-src 'self'"), std::string::npos);
  EXPECT_EQ(index->headers["x-content-type-options"], "nosniff");

  auto client = HttpGet(stack_.gateway_port(), "/client/index.js");
  ASSERT_TRUE(client.ok());
  EXPECT_EQ(client->status, 200);
  EXPECT_EQ(client->headers["content-type"], "text/javascript; charset=utf-8");
  EXPECT_NE(client->body.find("export"), std::string::npos);
}

TEST_F(DashboardServingTest, NothingOutsideTheDashboardAndGetOnly) {
  for (const std::string path : {"/../CMakeLists.txt", "/client/../../CMakeLists.txt", "/%2e%2e/CMakeLists.txt",
                                 "//etc/passwd", "/nope.js"}) {
    auto response = HttpGet(stack_.gateway_port(), path);
    ASSERT_TRUE(response.ok()) << path;
    EXPECT_EQ(response->status, 404) << path;
  }
  auto post = HttpGet(stack_.gateway_port(), "", Request("POST", "/", stack_.gateway_port()));
  ASSERT_TRUE(post.ok());
  EXPECT_EQ(post->status, 405);
}

TEST_F(DashboardServingTest, HealthzSaysWhetherTheTokenIsNeededAndRight) {
  const uint16_t port = stack_.gateway_port();
  auto right = HttpGet(port, "", Request("GET", "/healthz", port, "Authorization: Bearer " + stack_.token() + "\r\n"));
  auto wrong = HttpGet(port, "", Request("GET", "/healthz", port, "Authorization: Bearer nope\r\n"));
  auto none = HttpGet(port, "/healthz");
  ASSERT_TRUE(right.ok() && wrong.ok() && none.ok());
  EXPECT_NE(right->body.find("\"authorized\":true"), std::string::npos) << right->body;
  EXPECT_NE(wrong->body.find("\"authorized\":false"), std::string::npos) << wrong->body;
  EXPECT_EQ(none->body.find("authorized"), std::string::npos) << none->body;
  EXPECT_EQ(right->body.find(stack_.token()), std::string::npos);
  EXPECT_EQ(stack_.GatewayLog().find(stack_.token()), std::string::npos);
}

TEST(DashboardStaticDirTest, StaticDirServesThatFolderAndAMissingOneIsAClearError) {
  TempDir dir;
  { std::ofstream(dir.File("index.html")) << "<p>my dashboard</p>"; }
  auto gateway = ChildProcess::Start(GatewayBinary(), {"--listen", "127.0.0.1:0", "--insecure-no-auth", "--hub",
                                                       "127.0.0.1:1", "--static-dir", dir.path()});
  ASSERT_TRUE(gateway.ok());
  auto line = (*gateway)->ReadLine(absl::Seconds(20));
  ASSERT_TRUE(line.ok());
  const uint16_t port = static_cast<uint16_t>(std::stoi(line->substr(line->rfind(':') + 1)));
  auto index = HttpGet(port, "/");
  ASSERT_TRUE(index.ok());
  EXPECT_EQ(index->body, "<p>my dashboard</p>");
  auto health = HttpGet(port, "/healthz");
  ASSERT_TRUE(health.ok());
  EXPECT_NE(health->body.find("\"authRequired\":false"), std::string::npos);

  auto missing = RunCommand(GatewayBinary(), {"--insecure-no-auth", "--static-dir", dir.File("nope")});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("--static-dir"), std::string::npos) << missing.err;
}

TEST(DashboardInstallTest, AGatewayInstalledWithCmakeInstallServesTheDashboard) {
  TempDir prefix;
  auto install = RunCommand(NANOKIT_CMAKE, {"--install", NANOKIT_BUILD_DIR, "--prefix", prefix.path()}, "",
                            absl::Seconds(60));
  ASSERT_EQ(install.exit_code, 0) << install.err;
  auto gateway = ChildProcess::Start(prefix.File("bin/nanokit-gateway"),
                                     {"--listen", "127.0.0.1:0", "--insecure-no-auth", "--hub", "127.0.0.1:1"});
  ASSERT_TRUE(gateway.ok());
  auto line = (*gateway)->ReadLine(absl::Seconds(20));
  ASSERT_TRUE(line.ok());
  const uint16_t port = static_cast<uint16_t>(std::stoi(line->substr(line->rfind(':') + 1)));
  for (const std::string path : {"/", "/app.js", "/style.css", "/client/index.js", "/client/state.js"}) {
    auto response = HttpGet(port, path);
    ASSERT_TRUE(response.ok()) << path;
    EXPECT_EQ(response->status, 200) << path;
  }
}

}  // namespace
}  // namespace nanokit::testing
