// AccessMap: exactly the documented JSON, default deny, the union of the
// rules that match, list claims, dotted paths, $suffix and $value, and a
// clear error naming the rule for anything else.
#include "auth/access_map.h"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

namespace nanokit::auth {
namespace {

constexpr char kDocumented[] = R"({"rules": [
  {"claim": "groups", "equals": "bridge-admins", "role": "admin"},
  {"claim": "groups", "prefix": "team-", "project": "$suffix"},
  {"claim": "email", "suffix": "@example.com", "projects": ["demo", "web"]},
  {"claim": "realm_access.roles", "equals": "ops", "projects": ["infra"]},
  {"claim": "preferred_username", "prefix": "svc.", "project": "$value"}]})";

google::protobuf::Struct Claims(const std::string& json) {
  google::protobuf::Struct claims;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &claims).ok()) << json;
  return claims;
}

GrantPtr Evaluate(const std::string& claims) {
  auto map = AccessMap::Parse(kDocumented);
  EXPECT_TRUE(map.ok()) << map.status();
  return map->Evaluate(Claims(claims), "https://idp.example|u1");
}

TEST(AccessMapTest, TheDocumentedRulesGrantTheUnionOfWhatMatches) {
  GrantPtr grant = Evaluate(R"({"sub":"u1","email":"ann@example.com","groups":["team-shop","staff","team-api"]})");
  ASSERT_NE(grant, nullptr);
  EXPECT_FALSE(grant->admin());
  EXPECT_FALSE(grant->MayPublish());
  for (const char* project : {"shop", "api", "demo", "web"}) EXPECT_TRUE(grant->MayView(project)) << project;
  EXPECT_FALSE(grant->MayView("staff"));
  EXPECT_FALSE(grant->MayView("team-shop"));
  EXPECT_EQ(grant->subject(), "https://idp.example|u1");
}

TEST(AccessMapTest, AdminDottedPathsAndValues) {
  EXPECT_TRUE(Evaluate(R"({"groups":["x","bridge-admins"]})")->admin());
  EXPECT_TRUE(Evaluate(R"({"realm_access":{"roles":["ops"]}})")->MayView("infra"));
  EXPECT_TRUE(Evaluate(R"({"preferred_username":"svc.deployer"})")->MayView("svc.deployer"));
}

TEST(AccessMapTest, DefaultDenyAndAMissingClaimMatchesNothing) {
  EXPECT_EQ(Evaluate(R"({"sub":"u2"})"), nullptr);
  EXPECT_EQ(Evaluate(R"({"email":"eve@example.com.evil"})"), nullptr);
  EXPECT_EQ(Evaluate(R"({"groups":"bridge-admins-not"})"), nullptr);
  EXPECT_EQ(Evaluate(R"({"realm_access":"ops"})"), nullptr) << "a path through a non-object matches nothing";
  EXPECT_EQ(Evaluate(R"({"groups":[7, {"a":1}]})"), nullptr);
  // A matched value that is not a project name grants nothing.
  EXPECT_EQ(Evaluate(R"({"groups":["team-"]})"), nullptr);
  EXPECT_EQ(Evaluate(R"({"groups":["team-a b"]})"), nullptr);
}

TEST(AccessMapTest, AnythingElseIsAnErrorNamingTheRule) {
  for (const char* bad : {
           R"([])",
           R"({"rules": {}})",
           R"({"rules": [{"equals": "x", "projects": ["a"]}]})",
           R"({"rules": [{"claim": "g", "projects": ["a"]}]})",
           R"({"rules": [{"claim": "g", "equals": "x", "prefix": "y", "projects": ["a"]}]})",
           R"({"rules": [{"claim": "g", "equals": "x"}]})",
           R"({"rules": [{"claim": "g", "equals": "x", "role": "viewer"}]})",
           R"({"rules": [{"claim": "g", "equals": "x", "projects": ["-bad"]}]})",
           R"({"rules": [{"claim": "g", "equals": "x", "project": "$other"}]})",
           R"({"rules": [{"claim": "g", "equals": "x", "projects": ["a"], "role": "admin"}]})",
           R"({"rules": [{"claim": "g", "equals": "x", "projects": ["a"], "typo": 1}]})",
       }) {
    auto map = AccessMap::Parse(bad);
    EXPECT_FALSE(map.ok()) << bad;
  }
  auto second = AccessMap::Parse(R"({"rules": [{"claim": "g", "equals": "x", "projects": ["a"]}, {"claim": "g"}]})");
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("rule 2"), absl::string_view::npos) << second.status();
}

}  // namespace
}  // namespace nanokit::auth
