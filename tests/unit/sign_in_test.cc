// The sign-in's pieces that need no provider: cookies, query strings, the
// one-use pending logins, the session store, and the rule that a
// cookie-carrying WebSocket upgrade must come from the dashboard's origin.
// (The whole sign-in runs against a real provider in
// tests/browser/sign_in.test.mjs and tests/integration/bearer_jwt_test.cc.)
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "oidc/form.h"
#include "oidc/pending_logins.h"
#include "oidc/relying_party.h"
#include "oidc/session_store.h"
#include "ws_gateway/cookie.h"
#include "ws_gateway/upgrade_policy.h"

namespace nanokit {
namespace {

TEST(CookieTest, FindsTheNamedCookie) {
  using gateway::FindCookie;
  EXPECT_EQ(FindCookie("a=1; __Host-nanokit-session=abc; b=2", "__Host-nanokit-session"), "abc");
  EXPECT_EQ(FindCookie("__Host-nanokit-session=\"q\"", "__Host-nanokit-session"), "q");
  EXPECT_EQ(FindCookie("x__Host-nanokit-session=abc", "__Host-nanokit-session"), std::nullopt);
  EXPECT_EQ(FindCookie("a=1;;  ;b", "b"), std::nullopt);
  EXPECT_EQ(FindCookie("", "a"), std::nullopt);
  std::string oversized(9000, 'a');
  oversized.append("; a=1");
  EXPECT_EQ(FindCookie(oversized, "a"), std::nullopt);
  // The first of two wins (the more specific path, per RFC 6265's order).
  EXPECT_EQ(FindCookie("a=1; a=2", "a"), "1");
}

TEST(CookieTest, SetCookieIsHttpOnlySecureAndLax) {
  EXPECT_EQ(gateway::SetCookie("__Host-x", "v", absl::Hours(1)),
            "__Host-x=v; Path=/; Max-Age=3600; HttpOnly; Secure; SameSite=Lax");
  EXPECT_TRUE(absl::StrContains(gateway::ClearCookie("__Host-x"), "Max-Age=0"));
}

TEST(FormTest, EncodesAndParses) {
  const std::string encoded = oidc::EncodeForm({{"redirect_uri", "https://d.example/auth/callback"}, {"scope", "a b"}});
  EXPECT_EQ(encoded, "redirect_uri=https%3A%2F%2Fd.example%2Fauth%2Fcallback&scope=a%20b");
  auto parsed = oidc::ParseForm(encoded + "&scope=second&flag");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->at("redirect_uri"), "https://d.example/auth/callback");
  EXPECT_EQ(parsed->at("scope"), "a b");  // the first wins
  EXPECT_EQ(parsed->at("flag"), "");
  EXPECT_EQ(oidc::ParseForm("a=1+2")->at("a"), "1 2");
  EXPECT_FALSE(oidc::ParseForm("a=%").ok());
  EXPECT_FALSE(oidc::ParseForm("a=%4").ok());
  EXPECT_FALSE(oidc::ParseForm("a=%zz").ok());
}

TEST(LocalReturnPathTest, StaysOnTheGateway) {
  EXPECT_EQ(oidc::LocalReturnPath("/?project=web#token="), "/?project=web#token=");
  EXPECT_EQ(oidc::LocalReturnPath("//evil.example/"), "/");
  EXPECT_EQ(oidc::LocalReturnPath("/\\evil.example/"), "/");
  EXPECT_EQ(oidc::LocalReturnPath("https://evil.example/"), "/");
  EXPECT_EQ(oidc::LocalReturnPath("/a\r\nSet-Cookie: x=1"), "/");
  EXPECT_EQ(oidc::LocalReturnPath(""), "/");
}

TEST(PendingLoginsTest, EachLoginIsUsedOnceAndOnlyInTime) {
  oidc::PendingLogins logins(absl::Minutes(10), 3);
  const absl::Time now = absl::FromUnixSeconds(1000000);
  auto first = logins.Begin("/a", now);
  ASSERT_TRUE(first.ok());
  EXPECT_NE(first->second.state, first->second.nonce);
  EXPECT_GE(first->second.code_verifier.size(), 43u);  // RFC 7636: 43 to 128
  auto taken = logins.Take(first->first, now + absl::Minutes(1));
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->return_to, "/a");
  EXPECT_FALSE(logins.Take(first->first, now).has_value()) << "used";
  auto late = logins.Begin("/", now);
  EXPECT_FALSE(logins.Take(late->first, now + absl::Minutes(11)).has_value()) << "expired";
  EXPECT_FALSE(logins.Take("made-up", now).has_value());
  // Bounded: the oldest goes first.
  auto a = logins.Begin("/", now);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(logins.Begin("/", now).ok());
  EXPECT_FALSE(logins.Take(a->first, now).has_value());
}

TEST(SessionStoreTest, SessionsEndOnExpiryOrLogoutAndAreBounded) {
  oidc::SessionStore sessions(2);
  const absl::Time now = absl::FromUnixSeconds(1000000);
  auto id = sessions.Create({.user = "iss u1", .name = "u1", .claims = {}, .expires = now + absl::Hours(1)});
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->size(), 43u);  // 256 bits, base64url
  ASSERT_NE(sessions.Find(*id, now), nullptr);
  EXPECT_EQ(sessions.FindByKey(oidc::SessionStore::KeyOf(*id), now)->name, "u1");
  EXPECT_FALSE(absl::StrContains(oidc::SessionStore::KeyOf(*id), *id)) << "the key is not the secret";
  EXPECT_EQ(sessions.Find(*id, now + absl::Hours(1)), nullptr);
  sessions.End(*id);
  EXPECT_EQ(sessions.Find(*id, now), nullptr);
  EXPECT_EQ(sessions.Find("", now), nullptr);
  auto soon = sessions.Create({.user = "a", .name = "a", .claims = {}, .expires = now + absl::Minutes(1)});
  auto later = sessions.Create({.user = "b", .name = "b", .claims = {}, .expires = now + absl::Hours(2)});
  auto third = sessions.Create({.user = "c", .name = "c", .claims = {}, .expires = now + absl::Hours(2)});
  EXPECT_EQ(sessions.size(), 2u);
  EXPECT_EQ(sessions.Find(*soon, now), nullptr) << "the one that would end first made room";
  EXPECT_NE(sessions.Find(*later, now), nullptr);
  EXPECT_NE(sessions.Find(*third, now), nullptr);
}

TEST(SessionStoreTest, RefreshesAreDueAtTheIdTokensExpiryAndReplaceTheClaims) {
  oidc::SessionStore sessions(10);
  const absl::Time now = absl::FromUnixSeconds(1000000);
  auto plain = sessions.Create({.user = "a", .name = "a", .claims = {}, .expires = now + absl::Hours(1)});
  auto refreshing = sessions.Create({.user = "b", .name = "b", .claims = {}, .expires = now + absl::Hours(1),
                                     .refresh_token = "rt", .refresh_at = now + absl::Minutes(5)});
  EXPECT_TRUE(sessions.DueForRefresh(now).empty());
  auto due = sessions.DueForRefresh(now + absl::Minutes(5));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].first, oidc::SessionStore::KeyOf(*refreshing));
  oidc::Session next = *due[0].second;
  next.name = "b2";
  next.refresh_at = now + absl::Minutes(10);
  sessions.Update(due[0].first, next);
  EXPECT_EQ(sessions.Find(*refreshing, now)->name, "b2");
  EXPECT_TRUE(sessions.DueForRefresh(now + absl::Minutes(6)).empty());
  sessions.EndByKey(due[0].first);
  sessions.Update(due[0].first, next);  // ended meanwhile: stays ended
  EXPECT_EQ(sessions.Find(*refreshing, now), nullptr);
  EXPECT_NE(sessions.Find(*plain, now), nullptr);
}

// A session source for the upgrade rule: "good" is a session of a viewer.
class OneSession : public auth::IdentitySource {
 public:
  bool Recognizes(absl::string_view) const override { return false; }
  absl::StatusOr<auth::Identity> Authenticate(absl::string_view) override {
    return absl::UnauthenticatedError("no");
  }
  void RefreshKeys() override {}
  absl::StatusOr<auth::Identity> AuthenticateSession(absl::string_view id) override {
    if (id != "good") return absl::UnauthenticatedError("the session has ended or is unknown");
    return auth::Identity{auth::Grant::Viewer("alice", {"web"}), "session:x"};
  }
  bool Owns(absl::string_view) const override { return false; }
  auth::GrantPtr CurrentGrant(absl::string_view, absl::Time) override { return nullptr; }
  void Reload() override {}
};

TEST(SignedInUpgradeTest, TheSessionCookieCountsOnlyFromTheDashboardsOrigin) {
  auto access = auth::AccessControl::Create({.admin_token = "tok", .external = std::make_shared<OneSession>()});
  ASSERT_TRUE(access.ok());
  const std::string origin = "https://dash.example";
  auto decide = [&](absl::string_view request_origin, absl::string_view cookie,
                    std::vector<std::string> allowed = {}) {
    return gateway::DecideUpgrade({.host = "dash.example", .origin = request_origin, .subprotocols = "nanokit.v1",
                                   .cookie = cookie},
                                  **access, allowed, origin);
  };
  const std::string good = "__Host-nanokit-session=good";
  auto accepted = decide(origin, good);
  ASSERT_TRUE(accepted.accepted()) << accepted.reason;
  EXPECT_EQ(accepted.identity->grant->subject(), "alice");
  EXPECT_EQ(decide("https://evil.example", good).http_status, 403);
  // What the Host rule alone would let through (http:// plus the Host) is
  // not the dashboard's origin: the cookie counts only from https://.
  EXPECT_EQ(decide("http://dash.example", good).http_status, 403);
  // "*" is never a session's origin (and refused at start with sign-in on).
  EXPECT_EQ(decide("https://evil.example", good, {"*"}).http_status, 403);
  EXPECT_EQ(decide("", good).http_status, 403) << "a browser always sends Origin";
  EXPECT_TRUE(decide("https://other.dash.example", good, {"https://other.dash.example"}).accepted());
  EXPECT_EQ(decide(origin, "__Host-nanokit-session=ended").http_status, 401);
  // Without sign-in the cookie means nothing.
  EXPECT_EQ(gateway::DecideUpgrade({.host = "dash.example", .origin = origin, .subprotocols = "nanokit.v1",
                                    .cookie = good},
                                   **access, {})
                .http_status,
            401);
}

}  // namespace
}  // namespace nanokit
