// oidc::Provider against a real HTTPS server (openssl s_server -WWW, with
// the test's CA) serving a discovery document and a JWKS: tokens signed with
// the provider's keys verify; a rotated key is fetched when a token names
// it, at most once a minute; a provider that went away keeps its last good
// keys; a document whose issuer is not the one asked for is refused.
#include "oidc/provider.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "tests/support/test_jwt.h"
#include "tests/support/test_pki.h"

namespace nanokit::testing {
namespace {

class OidcProviderTest : public TwoCaTest {
 protected:
  void SetUp() override {
    TwoCaTest::SetUp();
    root_ = stack_.dir().File("idp");
    std::filesystem::create_directories(root_ + "/.well-known");
    port_ = Serve();
    issuer_ = absl::StrCat("https://127.0.0.1:", port_);
    WriteDiscovery(issuer_);
    WriteKeys({&first_});
  }
  void TearDown() override {
    if (server_) server_->Signal(SIGTERM);
  }

  uint16_t Serve() {
    auto server = StartHttpsFileServer(pki_.server_cert, pki_.server_key, root_, stack_.dir().File("s_server.log"),
                                       port_);
    EXPECT_TRUE(server.ok()) << server.status();
    if (!server.ok()) return 0;
    server_ = std::move(server->process);
    return server->port;
  }
  void WriteDiscovery(const std::string& issuer) {
    std::ofstream(root_ + "/.well-known/openid-configuration")
        << absl::StrCat(R"({"issuer":")", issuer, R"(","authorization_endpoint":")", issuer_, R"(/auth",)",
                        R"("token_endpoint":")", issuer_, R"(/token","jwks_uri":")", issuer_, R"(/jwks.json"})");
  }
  void WriteKeys(const std::vector<const TestKey*>& keys) {
    std::string jwks = R"({"keys":[)";
    for (size_t i = 0; i < keys.size(); ++i) absl::StrAppend(&jwks, i ? "," : "", keys[i]->Jwk());
    std::ofstream(root_ + "/jwks.json") << jwks << "]}";
  }
  std::unique_ptr<oidc::Provider> Discover() {
    auto provider = oidc::Provider::Discover({.issuer = issuer_, .ca_file = pki_.ca_cert, .clock = &clock_});
    EXPECT_TRUE(provider.ok()) << provider.status();
    return provider.ok() ? *std::move(provider) : nullptr;
  }
  std::string Token(const TestKey& key) const {
    const int64_t now = absl::ToUnixSeconds(clock_.Now());
    return key.Token(absl::StrCat(R"({"iss":")", issuer_, R"(","sub":"u1","aud":"bridge","iat":)", now,
                                  R"(,"exp":)", now + 300, "}"));
  }
  absl::StatusOr<google::protobuf::Struct> Verify(oidc::Provider& provider, const std::string& token) const {
    return provider.Verify(token, {.issuer = issuer_, .audience = "bridge", .now = clock_.Now()});
  }

  std::string root_;
  uint16_t port_ = 0;
  std::string issuer_;
  std::unique_ptr<ChildProcess> server_;
  ManualClock clock_{absl::Now()};
  TestKey first_ = TestKey::Make("2026-a", "RS256");
  TestKey second_ = TestKey::Make("2026-b", "ES256");
};

TEST_F(OidcProviderTest, DiscoversTheEndpointsAndVerifiesTokensSignedWithItsKeys) {
  auto provider = Discover();
  ASSERT_NE(provider, nullptr);
  EXPECT_EQ(provider->metadata().token_endpoint, issuer_ + "/token");
  auto claims = Verify(*provider, Token(first_));
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->fields().at("sub").string_value(), "u1");
}

TEST_F(OidcProviderTest, ARotatedKeyIsFetchedWhenATokenNamesItAtMostOnceAMinute) {
  auto provider = Discover();
  ASSERT_NE(provider, nullptr);
  WriteKeys({&first_, &second_});  // the provider rotates
  clock_.Advance(absl::Minutes(2));
  EXPECT_TRUE(Verify(*provider, Token(second_)).ok()) << "an unknown kid fetches the keys again";

  const TestKey third = TestKey::Make("2026-c", "ES256");
  WriteKeys({&second_, &third});
  clock_.Advance(absl::Seconds(10));
  auto early = Verify(*provider, Token(third));
  EXPECT_TRUE(absl::IsUnauthenticated(early.status())) << "no second fetch within the minute";
  EXPECT_NE(early.status().message().find("less than a minute"), absl::string_view::npos) << early.status();
  clock_.Advance(absl::Minutes(1));
  EXPECT_TRUE(Verify(*provider, Token(third)).ok());
}

TEST_F(OidcProviderTest, AProviderThatWentAwayKeepsItsLastGoodKeys) {
  auto provider = Discover();
  ASSERT_NE(provider, nullptr);
  server_->Signal(SIGTERM);
  server_->Wait(absl::Seconds(5));
  server_.reset();
  EXPECT_FALSE(provider->RefreshKeys().ok());
  EXPECT_TRUE(Verify(*provider, Token(first_)).ok()) << "the last good keys stay";
  clock_.Advance(absl::Minutes(2));
  auto unknown = Verify(*provider, Token(second_));
  EXPECT_TRUE(absl::IsUnauthenticated(unknown.status()));
  EXPECT_NE(unknown.status().message().find("cannot be fetched"), absl::string_view::npos) << unknown.status();
}

TEST_F(OidcProviderTest, ADocumentForAnotherIssuerOrAnUntrustedCertificateIsRefused) {
  WriteDiscovery("https://evil.example");
  auto wrong = oidc::Provider::Discover({.issuer = issuer_, .ca_file = pki_.ca_cert, .clock = &clock_});
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("is not"), absl::string_view::npos) << wrong.status();
  WriteDiscovery(issuer_);
  EXPECT_FALSE(oidc::Provider::Discover({.issuer = issuer_, .ca_file = other_.ca_cert, .clock = &clock_}).ok());
  EXPECT_FALSE(oidc::Provider::Discover({.issuer = "http://idp.example", .clock = &clock_}).ok())
      << "plain http is for loopback only";
}

}  // namespace
}  // namespace nanokit::testing
