// AccessControl: the admin token, scoped tokens from the credentials file,
// expiry by the injected clock, and followers told of revocation and of a
// changed scope when the file changes.
#include "auth/access_control.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "auth/failure_reason.h"
#include "auth/visible_projects.h"

namespace nanokit::auth {
namespace {

constexpr char kAdmin[] = "admin-token-0123456789";
constexpr char kViewer[] = "viewer-token-0123456789";
constexpr char kPublisher[] = "publisher-token-0123456789";

Credential Scoped(std::string name, Role role, std::vector<std::string> projects, std::string token,
                  absl::Time expires = absl::InfiniteFuture()) {
  Credential credential;
  credential.name = std::move(name);
  credential.role = role;
  credential.all_projects = projects.empty();
  credential.projects = std::move(projects);
  credential.expires = expires;
  credential.token_sha256 = TokenSha256(token);
  return credential;
}

// Its own folder, so that the test needs nothing but auth (it also runs
// under ThreadSanitizer, where the test support library is not built).
std::string MakeTempDir() {
  std::string path = (std::filesystem::temp_directory_path() / "access_control_test.XXXXXX").string();
  if (mkdtemp(path.data()) == nullptr) std::abort();
  return path;
}

class AccessControlTest : public ::testing::Test {
 protected:
  ~AccessControlTest() override { std::filesystem::remove_all(dir_); }

  void Write(const std::vector<Credential>& credentials) {
    CredentialSet set;
    for (const Credential& credential : credentials) ASSERT_TRUE(set.Add(credential).ok());
    ASSERT_TRUE(WriteCredentialsFile(file_, set).ok());
  }
  std::unique_ptr<AccessControl> Create() {
    // A long interval: the tests call ReloadNow instead of waiting.
    auto access = AccessControl::Create(
        {.admin_token = kAdmin, .credentials_file = file_, .reload_interval = absl::Hours(1), .clock = &clock_});
    EXPECT_TRUE(access.ok()) << access.status();
    return access.ok() ? *std::move(access) : nullptr;
  }

  const std::string dir_ = MakeTempDir();
  const std::string file_ = dir_ + "/credentials";
  ManualClock clock_;
};

TEST_F(AccessControlTest, AdminTokenMayDoEverythingAndNeverChanges) {
  auto access = Create();
  auto identity = access->AuthenticateBearer(std::string("Bearer ") + kAdmin);
  ASSERT_TRUE(identity.ok());
  EXPECT_TRUE(identity->grant->admin());
  EXPECT_TRUE(identity->grant->MayPublishTo("any"));
  EXPECT_TRUE(identity->grant->MayView("any"));
  EXPECT_EQ(access->Follow(*identity, [](GrantPtr) {}), nullptr);
}

TEST_F(AccessControlTest, ScopedTokensMayOnlyTheirRoleOnTheirProjects) {
  Write({Scoped("team", Role::kViewer, {"shop"}, kViewer), Scoped("ci", Role::kPublisher, {"shop", "web"}, kPublisher)});
  auto access = Create();
  auto viewer = access->Authenticate(kViewer);
  ASSERT_TRUE(viewer.ok()) << viewer.status();
  EXPECT_EQ(viewer->grant->subject(), "team");
  EXPECT_TRUE(viewer->grant->MayView("shop"));
  EXPECT_FALSE(viewer->grant->MayView("web"));
  EXPECT_FALSE(viewer->grant->MayPublishTo("shop"));
  auto publisher = access->Authenticate(kPublisher);
  ASSERT_TRUE(publisher.ok());
  EXPECT_TRUE(publisher->grant->MayPublishTo("web"));
  EXPECT_FALSE(publisher->grant->MayPublishTo("other"));
  EXPECT_FALSE(publisher->grant->MayView("web"));
}

TEST_F(AccessControlTest, UnknownMissingAndExpiredTokensAreRefusedWithoutEchoingThem) {
  Write({Scoped("short", Role::kViewer, {}, kViewer, clock_.Now() + absl::Minutes(5))});
  auto access = Create();
  for (absl::string_view header : {"", "Basic abc", "Bearer not-a-token"}) {
    auto refused = access->AuthenticateBearer(header);
    ASSERT_FALSE(refused.ok());
    EXPECT_TRUE(absl::IsUnauthenticated(refused.status()));
    EXPECT_EQ(refused.status().message().find("not-a-token"), absl::string_view::npos);
    EXPECT_EQ(FailureReason(refused.status()), header.empty() ? "missing" : "invalid") << header;
  }
  EXPECT_TRUE(access->Authenticate(kViewer).ok());
  clock_.Advance(absl::Minutes(5));
  auto expired = access->Authenticate(kViewer);
  ASSERT_FALSE(expired.ok());
  EXPECT_NE(expired.status().message().find("\"short\" expired"), absl::string_view::npos) << expired.status();
  EXPECT_EQ(expired.status().message().find(kViewer), absl::string_view::npos);
  EXPECT_EQ(FailureReason(expired.status()), "expired");
}

TEST_F(AccessControlTest, FollowersHearOfANarrowedScopeThenOfRevocation) {
  Write({Scoped("team", Role::kViewer, {"a", "b"}, kViewer)});
  auto access = Create();
  auto identity = access->Authenticate(kViewer);
  ASSERT_TRUE(identity.ok());
  std::vector<GrantPtr> heard;
  auto follower = access->Follow(*identity, [&](GrantPtr grant) { heard.push_back(std::move(grant)); });
  ASSERT_NE(follower, nullptr);

  access->ReloadNow();
  EXPECT_TRUE(heard.empty()) << "an unchanged file changes nothing";

  Write({Scoped("team", Role::kViewer, {"a"}, kViewer)});
  access->ReloadNow();
  ASSERT_EQ(heard.size(), 1u);
  ASSERT_NE(heard[0], nullptr);
  EXPECT_TRUE(heard[0]->MayView("a"));
  EXPECT_FALSE(heard[0]->MayView("b"));

  Write({});  // `nanokit token revoke team`
  access->ReloadNow();
  ASSERT_EQ(heard.size(), 2u);
  EXPECT_EQ(heard[1], nullptr);
  EXPECT_FALSE(access->Authenticate(kViewer).ok());
  access->ReloadNow();
  EXPECT_EQ(heard.size(), 2u) << "the end is told once";
}

TEST_F(AccessControlTest, FollowersHearOfExpiry) {
  Write({Scoped("short", Role::kViewer, {}, kViewer, clock_.Now() + absl::Seconds(30))});
  auto access = Create();
  auto identity = access->Authenticate(kViewer);
  ASSERT_TRUE(identity.ok());
  int ended = 0;
  auto follower = access->Follow(*identity, [&](GrantPtr grant) { ended += grant == nullptr; });
  clock_.Advance(absl::Seconds(29));
  access->ReloadNow();
  EXPECT_EQ(ended, 0);
  clock_.Advance(absl::Seconds(1));
  access->ReloadNow();
  EXPECT_EQ(ended, 1);
}

TEST_F(AccessControlTest, AFollowerMayBeDestroyedFromItsOwnCall) {
  Write({Scoped("team", Role::kViewer, {}, kViewer)});
  auto access = Create();
  auto identity = access->Authenticate(kViewer);
  std::unique_ptr<GrantFollower> follower;
  int calls = 0;
  follower = access->Follow(*identity, [&](GrantPtr) {
    ++calls;
    follower.reset();  // as a gRPC reactor's OnDone may, run inline
  });
  Write({});
  access->ReloadNow();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(follower, nullptr);
}

TEST_F(AccessControlTest, AMalformedFileIsAnErrorAtStartAndLaterKeepsTheLastGoodOne) {
  { std::ofstream(file_) << "team\tviewer\t*\tnever\tnot-a-hash\n"; }
  auto refused = AccessControl::Create({.admin_token = kAdmin, .credentials_file = file_});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("line 1"), absl::string_view::npos) << refused.status();

  Write({Scoped("team", Role::kViewer, {}, kViewer)});
  auto access = Create();
  { std::ofstream(file_) << "garbage\n"; }
  access->ReloadNow();
  EXPECT_TRUE(access->Authenticate(kViewer).ok()) << "the last good credentials stay";
}

TEST_F(AccessControlTest, AMissingFileIsEmptyAndIsPickedUpOnceWritten) {
  auto access = Create();
  EXPECT_FALSE(access->Authenticate(kViewer).ok());
  EXPECT_TRUE(access->Authenticate(kAdmin).ok());
  Write({Scoped("team", Role::kViewer, {}, kViewer)});
  access->ReloadNow();
  EXPECT_TRUE(access->Authenticate(kViewer).ok());
}

TEST_F(AccessControlTest, AnUnreadableFileIsAnErrorAtStart) {
  Write({Scoped("team", Role::kViewer, {}, kViewer)});
  // Unreadable for root too (CI runs as root): a path through a file.
  auto refused = AccessControl::Create({.admin_token = kAdmin, .credentials_file = file_ + "/credentials"});
  ASSERT_FALSE(refused.ok());
  EXPECT_FALSE(absl::IsNotFound(refused.status())) << "not taken for a missing, empty file";
  EXPECT_NE(refused.status().message().find("cannot read"), absl::string_view::npos) << refused.status();
  if (geteuid() != 0) {
    ASSERT_EQ(chmod(file_.c_str(), 0), 0);
    EXPECT_FALSE(AccessControl::Create({.admin_token = kAdmin, .credentials_file = file_}).ok());
  }
}

TEST_F(AccessControlTest, ChecksBearerHeaders) {
  auto access = AccessControl::Create({.admin_token = "s3cret"});
  ASSERT_TRUE(access.ok());
  EXPECT_TRUE((*access)->AuthenticateBearer("Bearer s3cret").ok());
  EXPECT_TRUE((*access)->AuthenticateBearer("bearer s3cret").ok());
  EXPECT_FALSE((*access)->AuthenticateBearer("Bearer wrong").ok());
  EXPECT_FALSE((*access)->AuthenticateBearer("Basic s3cret").ok());
  EXPECT_FALSE((*access)->AuthenticateBearer("s3cret").ok());
  EXPECT_FALSE((*access)->AuthenticateBearer("").ok());
  EXPECT_TRUE(AccessControl::Disabled()->AuthenticateBearer("").ok());
  EXPECT_EQ(BearerToken("Bearer  tok "), "tok");
  EXPECT_EQ(BearerToken("Bearer "), std::nullopt);
}

TEST_F(AccessControlTest, DisabledLetsEveryoneInAsAdmin) {
  auto access = AccessControl::Disabled();
  auto identity = access->AuthenticateBearer("");
  ASSERT_TRUE(identity.ok());
  EXPECT_TRUE(identity->grant->admin());
}

TEST(VisibleProjectsTest, NamesOnlyProjectsTheGrantMayView) {
  Credential team = Scoped("team", Role::kViewer, {"a"}, kViewer);
  GrantPtr grant = Grant::For(team);
  bridge::v1::ProjectList change;
  change.add_projects()->set_project("a");
  change.add_projects()->set_project("secret");
  change.add_removed("secret2");
  auto visible = VisibleProjects(*grant, change);
  ASSERT_TRUE(visible.has_value());
  ASSERT_EQ(visible->projects_size(), 1);
  EXPECT_EQ(visible->projects(0).project(), "a");
  EXPECT_EQ(visible->removed_size(), 0);

  bridge::v1::ProjectList other;
  other.add_removed("secret");
  EXPECT_FALSE(VisibleProjects(*grant, other).has_value()) << "a change it may see nothing of is not sent";
  other.set_full(true);
  EXPECT_TRUE(VisibleProjects(*grant, other).has_value()) << "a full list is always sent, maybe empty";
  EXPECT_TRUE(VisibleProjects(*Grant::Admin(), change)->removed_size() == 1);
}

}  // namespace
}  // namespace nanokit::auth
