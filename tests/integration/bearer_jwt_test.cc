// Provider-issued JWTs on the gateway's WebSocket, end to end: a real
// gateway process signed in to a real HTTPS identity provider (openssl
// s_server -WWW with the test's CA, serving a discovery document and a
// JWKS). RS256 and ES256 tokens are accepted and see the projects the
// access map gives their groups; every bad token is refused with 401 and a
// log line that never holds it; a rotated key is fetched when a token names
// it; a token that expires closes its connection with 4401 unless a fresh
// one came first over "auth"; an edited access map narrows open
// connections.
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <openssl/hmac.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/support/stack.h"
#include "tests/support/test_jwt.h"
#include "tests/support/test_pki.h"

namespace nanokit::testing {
namespace {

namespace v1 = bridge::v1;

class BearerJwtTest : public TwoCaTest {
 protected:
  void SetUp() override {
    TwoCaTest::SetUp();
    root_ = stack_.dir().File("idp");
    std::filesystem::create_directories(root_ + "/.well-known");
    auto server = StartHttpsFileServer(pki_.server_cert, pki_.server_key, root_, stack_.dir().File("s_server.log"));
    ASSERT_TRUE(server.ok()) << server.status();
    idp_ = std::move(server->process);
    issuer_ = absl::StrCat("https://127.0.0.1:", server->port);
    std::ofstream(root_ + "/.well-known/openid-configuration")
        << absl::StrCat(R"({"issuer":")", issuer_, R"(","authorization_endpoint":")", issuer_, R"(/auth",)",
                        R"("token_endpoint":")", issuer_, R"(/token","jwks_uri":")", issuer_, R"(/jwks.json"})");
    WriteKeys({&rsa_, &ec_});
    WriteAccessMap(R"({"rules": [{"claim": "groups", "prefix": "team-", "project": "$suffix"},
                                 {"claim": "email", "suffix": "@example.com", "projects": ["demo"]}]})");
    std::ofstream(stack_.dir().File("client-secret")) << "secret-0123456789\n";
    ASSERT_TRUE(stack_.StartHub().ok());
    ASSERT_TRUE(stack_
                    .StartGateway({"--public-url", "http://127.0.0.1:1", "--oidc-issuer", issuer_, "--oidc-ca-file",
                                   pki_.ca_cert, "--oidc-client-id", "bridge", "--oidc-client-secret-file",
                                   stack_.dir().File("client-secret"), "--access-map", access_map_, "--clock-skew",
                                   "1s", "--oidc-key-refetch-interval", "1s"})
                    .ok());
    for (int i = 0; i < 100 && !absl::StrContains(stack_.GatewayLog(), "is ready"); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(absl::StrContains(stack_.GatewayLog(), "is ready")) << stack_.GatewayLog();
  }
  void TearDown() override {
    if (idp_) idp_->Signal(SIGTERM);
  }

  void WriteKeys(const std::vector<const TestKey*>& keys) {
    std::string jwks = R"({"keys":[)";
    for (size_t i = 0; i < keys.size(); ++i) absl::StrAppend(&jwks, i ? "," : "", keys[i]->Jwk());
    std::ofstream(root_ + "/jwks.json") << jwks << "]}";
  }
  void WriteAccessMap(const std::string& json) { std::ofstream(access_map_) << json; }

  // Claims of a program in group team-<team>, valid from now for ttl.
  std::string Claims(const std::string& team, absl::Duration ttl = absl::Minutes(5), std::string issuer = "",
                     std::string audience = "bridge") const {
    const int64_t now = absl::ToUnixSeconds(absl::Now());
    return absl::StrCat(R"({"iss":")", issuer.empty() ? issuer_ : issuer, R"(","sub":"deployer-)", team,
                        R"(","aud":")", audience, R"(","iat":)", now, R"(,"exp":)", now + absl::ToInt64Seconds(ttl),
                        R"(,"groups":["team-)", team, R"("]})");
  }

  absl::StatusOr<std::unique_ptr<WsClient>> Connect(const std::string& token, bool in_header = true) {
    return stack_.ConnectClient({.token = token, .token_in_header = in_header});
  }
  // Connects and expects a refusal with 401.
  // (A token over 16 KiB does not fit the gateway's 16 KiB of request
  // headers: 400 before any JWT check. Over "auth" it meets the JWT's own
  // bound.)
  void ExpectRefused(const std::string& token, const std::string& why) {
    WsClient client;
    EXPECT_FALSE(client.Connect("127.0.0.1", stack_.gateway_port(), {.token = token, .token_in_header = true}).ok())
        << why;
    EXPECT_EQ(client.refused_status(), token.size() > 16 * 1024 ? 400 : 401) << why << ": " << client.refused_body();
  }
  // Subscribes and returns the first answer's type ("snapshot" or "error").
  std::string SubscribeAnswer(WsClient& client, const std::string& project) {
    v1::ClientMessage subscribe;
    subscribe.set_type("subscribe");
    subscribe.set_project(project);
    EXPECT_TRUE(client.Send(subscribe).ok());
    for (int i = 0; i < 20; ++i) {
      auto message = client.ReadMessage();
      if (!message.ok()) return std::string(message.status().message());
      if (message->type() == "heartbeat" || message->type() == "projects") continue;
      if (message->type() == "error") return "error:" + message->error().code();
      return message->type();
    }
    return "nothing";
  }

  std::string root_;
  std::string issuer_;
  std::string access_map_ = stack_.dir().File("access-map.json");
  std::unique_ptr<ChildProcess> idp_;
  TestKey rsa_ = TestKey::Make("rsa-2026", "RS256");
  TestKey ec_ = TestKey::Make("ec-2026", "ES256");
};

TEST_F(BearerJwtTest, Rs256AndEs256TokensSeeTheProjectsOfTheirGroups) {
  for (const TestKey* key : {&rsa_, &ec_}) {
    for (bool in_header : {true, false}) {
      auto client = Connect(key->Token(Claims("web")), in_header);
      ASSERT_TRUE(client.ok()) << key->alg << ": " << client.status();
      EXPECT_EQ(SubscribeAnswer(**client, "web"), "snapshot") << key->alg;
      EXPECT_EQ(SubscribeAnswer(**client, "api"), "error:forbidden") << key->alg;
    }
  }
}

TEST_F(BearerJwtTest, BadTokensAreRefusedAndNeverLogged) {
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  const std::string valid = rsa_.Token(Claims("web"));
  std::string tampered = valid;
  const size_t payload_at = tampered.find('.') + 5;
  tampered[payload_at] = tampered[payload_at] == 'A' ? 'B' : 'A';
  const std::string header_none = B64(R"({"alg":"none","kid":"rsa-2026"})");
  const std::string payload = B64(Claims("web"));
  // HS256 "signed" with the provider's public key: the classic confusion.
  const std::string hs_header = B64(R"({"alg":"HS256","kid":"rsa-2026"})");
  const std::string public_key = rsa_.Jwk();
  unsigned char mac[32];
  unsigned int mac_size = 0;
  const std::string signed_part = hs_header + "." + payload;
  HMAC(EVP_sha256(), public_key.data(), static_cast<int>(public_key.size()),
       reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size(), mac, &mac_size);
  const std::string hs256 = signed_part + "." + B64(std::string(reinterpret_cast<char*>(mac), mac_size));
  const TestKey stranger = TestKey::Make("not-the-providers", "RS256");

  const std::vector<std::pair<std::string, std::string>> bad = {
      {"expired", rsa_.Token(absl::StrCat(R"({"iss":")", issuer_, R"(","sub":"x","aud":"bridge","exp":)", now - 60,
                                          R"(,"groups":["team-web"]})"))},
      {"not yet valid", rsa_.Token(absl::StrCat(R"({"iss":")", issuer_, R"(","sub":"x","aud":"bridge","nbf":)",
                                                now + 600, R"(,"exp":)", now + 900, "}"))},
      {"wrong issuer", rsa_.Token(Claims("web", absl::Minutes(5), "https://other.example"))},
      {"wrong audience", rsa_.Token(Claims("web", absl::Minutes(5), "", "someone-else"))},
      {"alg none", header_none + "." + payload + "."},
      {"HS256 with the public key", hs256},
      {"unknown kid", stranger.Token(Claims("web"))},
      {"tampered payload", tampered},
      {"over 16 KiB", rsa_.Token(absl::StrCat(R"({"iss":")", issuer_, R"(","sub":"x","aud":"bridge","exp":)",
                                              now + 60, R"(,"pad":")", std::string(17 * 1024, 'a'), R"("})"))},
  };
  for (const auto& [why, token] : bad) ExpectRefused(token, why);
  const std::string log = stack_.GatewayLog();
  for (const auto& [why, token] : bad) {
    for (absl::string_view part : absl::StrSplit(token, '.')) {
      if (part.size() >= 16) {
        EXPECT_FALSE(absl::StrContains(log, part)) << why << ": a part of it is in the log";
      }
    }
  }
  // And a good one still works after all of them.
  EXPECT_TRUE(Connect(valid).ok());
}

TEST_F(BearerJwtTest, ARotatedKeyIsFetchedWhenATokenNamesIt) {
  const TestKey rotated = TestKey::Make("rsa-2027", "RS256");
  ExpectRefused(rotated.Token(Claims("web")), "before the provider publishes it");
  WriteKeys({&rotated, &ec_});
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // the refetch interval (1s here)
  auto client = Connect(rotated.Token(Claims("web")));
  ASSERT_TRUE(client.ok()) << client.status() << "\n" << stack_.GatewayLog();
  EXPECT_EQ(SubscribeAnswer(**client, "web"), "snapshot");
}

TEST_F(BearerJwtTest, AnExpiredTokenClosesWith4401UnlessAFreshOneCameFirst) {
  auto expiring = Connect(ec_.Token(Claims("web", absl::Seconds(2))));
  ASSERT_TRUE(expiring.ok()) << expiring.status();
  auto renewed = Connect(ec_.Token(Claims("web", absl::Seconds(2))));
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  v1::ClientMessage auth;
  auth.set_type("auth");
  auth.set_token(rsa_.Token(Claims("web", absl::Minutes(5))));
  ASSERT_TRUE((*renewed)->Send(auth).ok());
  bool authenticated = false;
  for (int i = 0; i < 20 && !authenticated; ++i) {
    auto message = (*renewed)->ReadMessage();
    ASSERT_TRUE(message.ok()) << message.status();
    authenticated = message->type() == "authenticated";
  }
  EXPECT_TRUE(authenticated);

  // 2 s of life, 1 s of skew, a reload a second: closed within ~5 s.
  for (const absl::Time deadline = absl::Now() + absl::Seconds(8); absl::Now() < deadline;) {
    if (!(*expiring)->ReadMessage(absl::Seconds(1)).ok() && (*expiring)->close_code()) break;
  }
  EXPECT_EQ((*expiring)->close_code(), 4401);
  // The renewed one lives on.
  EXPECT_EQ(SubscribeAnswer(**renewed, "web"), "snapshot");
  EXPECT_FALSE((*renewed)->close_code().has_value());

  // A bad token over "auth" is refused, and the connection keeps its own;
  // so is one over the JWT's 16 KiB.
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  for (const std::string& bad :
       {std::string("eyJhbGciOiJub25lIn0.e30."),
        rsa_.Token(absl::StrCat(R"({"iss":")", issuer_, R"(","sub":"x","aud":"bridge","exp":)", now + 60,
                                R"(,"pad":")", std::string(17 * 1024, 'a'), R"("})"))}) {
    auth.set_token(bad);
    ASSERT_TRUE((*renewed)->Send(auth).ok());
    std::string code;
    for (int i = 0; i < 20 && code.empty(); ++i) {
      auto message = (*renewed)->ReadMessage();
      ASSERT_TRUE(message.ok()) << message.status();
      if (message->type() == "error") code = message->error().code();
    }
    EXPECT_EQ(code, "unauthenticated");
  }
  EXPECT_EQ(SubscribeAnswer(**renewed, "web"), "snapshot");
}

TEST_F(BearerJwtTest, AnEditedAccessMapNarrowsOpenConnections) {
  auto client = Connect(rsa_.Token(Claims("web")));
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_EQ(SubscribeAnswer(**client, "web"), "snapshot");
  WriteAccessMap(R"({"rules": [{"claim": "groups", "equals": "team-api", "project": "api"}]})");
  bool lost = false;
  for (int i = 0; i < 40 && !lost; ++i) {
    auto message = (*client)->ReadMessage();
    ASSERT_TRUE(message.ok()) << message.status();
    lost = message->type() == "error" && message->error().code() == "forbidden" && message->project() == "web";
  }
  EXPECT_TRUE(lost) << "the project the map no longer gives is unsubscribed, saying why";
  // A malformed edit keeps the last good map, and says so.
  WriteAccessMap("{not json");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_TRUE(absl::StrContains(stack_.GatewayLog(), "keeping the last good one"));
  EXPECT_EQ(SubscribeAnswer(**client, "api"), "error:forbidden");
}

TEST_F(BearerJwtTest, AMalformedAccessMapOrAWildcardOriginIsAnErrorAtStart) {
  stack_.StopGateway(SIGTERM);
  WriteAccessMap(R"({"rules": [{"claim": "groups"}]})");
  const std::vector<std::string> flags = {"--public-url", "http://127.0.0.1:1", "--oidc-issuer", issuer_,
                                          "--oidc-ca-file", pki_.ca_cert, "--oidc-client-id", "bridge",
                                          "--oidc-client-secret-file", stack_.dir().File("client-secret"),
                                          "--access-map", access_map_};
  EXPECT_FALSE(stack_.StartGateway(flags).ok());
  EXPECT_TRUE(absl::StrContains(stack_.GatewayLog(), "access map rule 1")) << stack_.GatewayLog();
  WriteAccessMap(R"({"rules": []})");
  std::vector<std::string> wildcard = flags;
  wildcard.insert(wildcard.end(), {"--allowed-origin", "*"});
  EXPECT_FALSE(stack_.StartGateway(wildcard).ok());
  EXPECT_TRUE(absl::StrContains(stack_.GatewayLog(), "--allowed-origin '*'")) << stack_.GatewayLog();
}

}  // namespace
}  // namespace nanokit::testing
