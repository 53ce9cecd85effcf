#include "ws_gateway/upgrade_policy.h"

#include <gtest/gtest.h>

namespace nanokit::gateway {
namespace {

const auth::AccessControl& Access() {
  static const auto* access = auth::AccessControl::Create({.admin_token = "tok"})->release();
  return *access;
}

UpgradeDecision Decide(UpgradeRequest request, std::vector<std::string> allowed = {}) {
  if (request.host.empty()) request.host = "127.0.0.1:7701";
  return DecideUpgrade(request, Access(), allowed);
}

TEST(UpgradePolicyTest, AcceptsTheTokenAsSubprotocolOrHeader) {
  EXPECT_TRUE(Decide({.subprotocols = "nanokit.v1, nanokit.bearer.tok"}).accepted());
  EXPECT_TRUE(Decide({.authorization = "Bearer tok", .subprotocols = "nanokit.v1"}).accepted());
  // A wrong header does not hide a right subprotocol.
  EXPECT_TRUE(Decide({.authorization = "Bearer nope", .subprotocols = "nanokit.v1, nanokit.bearer.tok"}).accepted());
  EXPECT_TRUE(Decide({.subprotocols = "nanokit.v1, nanokit.bearer.tok"}).identity->grant->admin());
}

TEST(UpgradePolicyTest, MissingOrWrongTokenIs401) {
  EXPECT_EQ(Decide({.subprotocols = "nanokit.v1"}).http_status, 401);
  EXPECT_EQ(Decide({.subprotocols = "nanokit.v1, nanokit.bearer.nope"}).http_status, 401);
  EXPECT_EQ(Decide({.authorization = "Bearer nope", .subprotocols = "nanokit.v1"}).http_status, 401);
  // The reason never echoes what was presented.
  EXPECT_EQ(Decide({.subprotocols = "nanokit.v1, nanokit.bearer.nope"}).reason.find("nope"), std::string::npos);
}

TEST(UpgradePolicyTest, ForeignOriginsAre403UnlessAllowed) {
  EXPECT_TRUE(Decide({.origin = "http://127.0.0.1:7701", .subprotocols = "nanokit.v1,nanokit.bearer.tok"}).accepted());
  EXPECT_EQ(Decide({.origin = "http://evil.example", .subprotocols = "nanokit.v1,nanokit.bearer.tok"}).http_status,
            403);
  EXPECT_TRUE(Decide({.origin = "http://localhost:3000", .subprotocols = "nanokit.v1,nanokit.bearer.tok"},
                     {"http://localhost:3000"})
                  .accepted());
  EXPECT_TRUE(Decide({.origin = "http://any.example", .subprotocols = "nanokit.v1,nanokit.bearer.tok"}, {"*"})
                  .accepted());
}

TEST(UpgradePolicyTest, SaysWhyForTheMetricsWithoutTheToken) {
  EXPECT_EQ(Decide({.subprotocols = "nanokit.v1"}).auth_failure, "missing");
  EXPECT_EQ(Decide({.subprotocols = "nanokit.v1, nanokit.bearer.nope"}).auth_failure, "invalid");
  EXPECT_EQ(Decide({.origin = "http://evil.example", .subprotocols = "nanokit.v1,nanokit.bearer.tok"}).auth_failure,
            "origin");
  // Not about the token: no auth failure.
  EXPECT_EQ(Decide({.authorization = "Bearer tok"}).auth_failure, "");
  EXPECT_EQ(Decide({.subprotocols = "nanokit.v1, nanokit.bearer.tok"}).auth_failure, "");
}

TEST(UpgradePolicyTest, TheProtocolIsRequired) {
  EXPECT_EQ(Decide({.authorization = "Bearer tok"}).http_status, 400);
  EXPECT_EQ(Decide({.subprotocols = "chat, nanokit.bearer.tok"}).http_status, 400);
}

TEST(UpgradePolicyTest, DisabledAuthNeedsNoToken) {
  EXPECT_TRUE(DecideUpgrade({.host = "h", .subprotocols = "nanokit.v1"}, *auth::AccessControl::Disabled(), {})
                  .accepted());
}

TEST(UpgradePolicyTest, SplitsSubprotocols) {
  EXPECT_EQ(SplitSubprotocols(" a ,b,, c"), (std::vector<std::string>{"a", "b", "c"}));
}

}  // namespace
}  // namespace nanokit::gateway
