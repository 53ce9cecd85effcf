// oidc::Fetch against a real HTTPS server (Debian's `openssl s_server
// -WWW`, serving files from a folder) with the test's own CA: a verified
// fetch works; an untrusted CA, a certificate for another name and plain
// http to a host that is not loopback are refused, each saying why.
#include "oidc/https_fetch.h"

#include <fstream>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "tests/support/test_pki.h"

namespace nanokit::testing {
namespace {

class HttpsFetchTest : public TwoCaTest {
 protected:
  // An HTTPS server on 127.0.0.1 with this certificate; returns its port.
  uint16_t Serve(const std::string& cert, const std::string& key) {
    std::ofstream(stack_.dir().File("jwks.json")) << R"({"keys":[]})";
    auto server = StartHttpsFileServer(cert, key, stack_.dir().path(), stack_.dir().File("s_server.log"));
    EXPECT_TRUE(server.ok()) << server.status();
    if (!server.ok()) return 0;
    server_ = std::move(server->process);
    return server->port;
  }
  void TearDown() override {
    if (server_) server_->Signal(SIGTERM);
  }
  std::unique_ptr<ChildProcess> server_;
};

TEST_F(HttpsFetchTest, AVerifiedFetchGetsTheDocument) {
  const uint16_t port = Serve(pki_.server_cert, pki_.server_key);
  auto response = oidc::Fetch({.url = absl::StrCat("https://127.0.0.1:", port, "/jwks.json"), .ca_file = pki_.ca_cert});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, R"({"keys":[]})");
}

TEST_F(HttpsFetchTest, AnUntrustedCaIsRefused) {
  const uint16_t port = Serve(pki_.server_cert, pki_.server_key);
  auto response =
      oidc::Fetch({.url = absl::StrCat("https://127.0.0.1:", port, "/jwks.json"), .ca_file = other_.ca_cert});
  ASSERT_FALSE(response.ok());
  EXPECT_TRUE(absl::IsUnavailable(response.status()));
  EXPECT_NE(response.status().message().find("certificate"), absl::string_view::npos) << response.status();
}

TEST_F(HttpsFetchTest, ACertificateForAnotherNameIsRefused) {
  const uint16_t port = Serve(pki_.wrong_name_cert, pki_.wrong_name_key);
  auto response = oidc::Fetch({.url = absl::StrCat("https://127.0.0.1:", port, "/jwks.json"), .ca_file = pki_.ca_cert});
  ASSERT_FALSE(response.ok()) << "the chain is good, the name is not";
  EXPECT_TRUE(absl::IsUnavailable(response.status()));
  EXPECT_NE(response.status().message().find("certificate verify failed"), absl::string_view::npos)
      << response.status();
}

TEST(HttpsFetchUrlTest, PlainHttpOnlyToLoopbackAndOnlyHttpUrls) {
  auto refused = oidc::Fetch({.url = "http://idp.example/.well-known/openid-configuration"});
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(refused.status()));
  EXPECT_NE(refused.status().message().find("loopback"), absl::string_view::npos);
  EXPECT_TRUE(absl::IsInvalidArgument(oidc::Fetch({.url = "ftp://127.0.0.1/x"}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(oidc::Fetch({.url = "https://user:pw@127.0.0.1/x"}).status()));

  auto url = oidc::ParseUrl("https://[::1]:8443/realms/a?x=1#frag");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, "8443");
  EXPECT_EQ(url->target, "/realms/a?x=1");
  EXPECT_EQ(oidc::ParseUrl("https://idp.example")->target, "/");
  EXPECT_EQ(oidc::ParseUrl("https://idp.example")->port, "443");
  EXPECT_FALSE(oidc::ParseUrl("https://idp.example:0/").ok());
  EXPECT_TRUE(oidc::IsLoopbackHost("127.0.0.2"));
  EXPECT_TRUE(oidc::IsLoopbackHost("localhost"));
  EXPECT_FALSE(oidc::IsLoopbackHost("idp.example"));
}

}  // namespace
}  // namespace nanokit::testing
