// The credentials file: its parser, its writer, and what a token may do.

#include "auth/credentials.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "absl/time/clock.h"
#include "common/token.h"
#include "tests/support/stack.h"

namespace nanokit::auth {
namespace {

constexpr char kHash[] = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";  // sha256("test")

TEST(CredentialsTest, TokensAreKeptAsTheirSha256) {
  EXPECT_EQ(TokenSha256("test"), kHash);
  EXPECT_EQ(TokenSha256("test").size(), 64u);
}

TEST(CredentialsTest, ParsesWhatItWritesAndFindsATokenByItsHash) {
  CredentialSet set;
  Credential deployer;
  deployer.name = "ci-deployer";
  deployer.role = Role::kPublisher;
  deployer.projects = {"web", "shop", "web"};
  deployer.expires = absl::FromUnixSeconds(1900000000);
  deployer.token_sha256 = TokenSha256("secret-1");
  ASSERT_TRUE(set.Add(deployer).ok());
  Credential team;
  team.name = "team";
  team.all_projects = true;
  team.token_sha256 = TokenSha256("secret-2");
  ASSERT_TRUE(set.Add(team).ok());

  const std::string text = set.Serialize();
  EXPECT_EQ(text.find("secret"), std::string::npos) << "no token in the file";
  auto parsed = CredentialSet::Parse(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << text;
  EXPECT_EQ(parsed->Serialize(), text);

  const Credential* found = parsed->FindByToken("secret-1");
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->name, "ci-deployer");
  EXPECT_EQ(found->role, Role::kPublisher);
  EXPECT_EQ(found->projects, (std::vector<std::string>{"shop", "web"}));
  EXPECT_TRUE(found->MayAccess("shop"));
  EXPECT_FALSE(found->MayAccess("billing"));
  EXPECT_FALSE(found->ExpiredAt(absl::FromUnixSeconds(1899999999)));
  EXPECT_TRUE(found->ExpiredAt(absl::FromUnixSeconds(1900000000)));

  const Credential* everything = parsed->FindByToken("secret-2");
  ASSERT_NE(everything, nullptr);
  EXPECT_EQ(everything->role, Role::kViewer);
  EXPECT_TRUE(everything->MayAccess("anything"));
  EXPECT_FALSE(everything->ExpiredAt(absl::Now() + absl::Hours(24 * 365 * 100)));

  EXPECT_EQ(parsed->FindByToken("secret-3"), nullptr);
}

TEST(CredentialsTest, NamesAreUniqueAndRevokingForgetsTheToken) {
  CredentialSet set;
  Credential a;
  a.name = "a";
  a.all_projects = true;
  a.token_sha256 = TokenSha256("t");
  ASSERT_TRUE(set.Add(a).ok());
  EXPECT_EQ(set.Add(a).code(), absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(set.Remove("a").ok());
  EXPECT_EQ(set.FindByToken("t"), nullptr);
  EXPECT_EQ(set.Remove("a").code(), absl::StatusCode::kNotFound);
}

TEST(CredentialsTest, AMalformedLineIsAnErrorNamingItsNumberAndNeverItsHash) {
  const std::string good = std::string("ci\tpublisher\tweb\tnever\t") + kHash + "\n";
  struct Case {
    std::string text;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"# header\n\nci publisher web never " + std::string(kHash) + "\n", "line 3: expected 5 tab-separated fields"},
      {"-ci\tpublisher\tweb\tnever\t" + std::string(kHash), "line 1: name \"-ci\""},
      {"ci\tadmin\tweb\tnever\t" + std::string(kHash), "role \"admin\": must be publisher or viewer"},
      {"ci\tviewer\tweb,-x\tnever\t" + std::string(kHash), "line 1:"},
      {"ci\tviewer\t\tnever\t" + std::string(kHash), "line 1:"},
      {"ci\tviewer\tweb\ttomorrow\t" + std::string(kHash), "expires \"tomorrow\""},
      {"ci\tviewer\tweb\tnever\t" + std::string(kHash).substr(1), "sha256: must be 64 lower-case hex digits"},
      {good + good, "line 2: name \"ci\" appears twice"},
  };
  for (const Case& c : cases) {
    auto parsed = CredentialSet::Parse(c.text);
    ASSERT_FALSE(parsed.ok()) << c.text;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find(c.says), std::string::npos) << parsed.status();
    EXPECT_EQ(parsed.status().message().find(kHash), std::string::npos) << parsed.status();
  }
  EXPECT_TRUE(CredentialSet::Parse(good).ok());
  EXPECT_TRUE(CredentialSet::Parse("").ok());
}

TEST(CredentialsTest, TheFileIsPrivateAndReplacedWhole) {
  testing::TempDir dir;
  const std::string path = dir.File("sub/credentials");
  EXPECT_EQ(LoadCredentialsFile(path).status().code(), absl::StatusCode::kNotFound);
  CredentialSet set;
  Credential a;
  a.name = "a";
  a.all_projects = true;
  a.token_sha256 = kHash;
  ASSERT_TRUE(set.Add(a).ok());
  ASSERT_TRUE(WriteCredentialsFile(path, set).ok());
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  auto loaded = LoadCredentialsFile(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->credentials().size(), 1u);
}

}  // namespace
}  // namespace nanokit::auth
