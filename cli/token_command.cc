// nanokit token create|list|revoke: scoped tokens in the credentials file
// (auth/credentials.h). A new token is printed once, on stdout alone; the
// file keeps only its SHA-256.

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "auth/credentials.h"
#include "cli/commands.h"
#include "common/flags.h"
#include "common/token.h"
#include "protocol/names.h"

namespace nanokit::cli {

namespace {

constexpr const char* kTokenUsage =
    "create|list|revoke [flags]\n\n"
    "  nanokit token create --name NAME --role publisher|viewer --project P [--project Q ...] [--all-projects]\n"
    "                       [--expires 30d]   prints a new token once, on stdout\n"
    "  nanokit token list                     name, role, projects, expiry (never a token)\n"
    "  nanokit token revoke NAME              removes it from the file";

int Fail(const std::string& message) {
  std::cerr << "nanokit token: " << message << std::endl;
  return 1;
}

// Holds an exclusive lock on PATH.lock while alive, so that two commands
// changing the file at once do not lose one change.
class FileLock {
 public:
  explicit FileLock(const std::string& path) {
    std::error_code ignored;  // a failure shows in open's
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ignored);
    fd_ = ::open((path + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

absl::StatusOr<auth::CredentialSet> LoadOrEmpty(const std::string& path) {
  auto set = auth::LoadCredentialsFile(path);
  if (absl::IsNotFound(set.status())) return auth::CredentialSet();
  return set;
}

}  // namespace

int RunToken(int argc, char** argv) {
  std::string credentials_file = auth::kDefaultCredentialsFile;
  std::string name;
  std::string role;
  std::vector<std::string> projects;
  bool all_projects = false;
  std::string expires = "never";
  FlagSet flags("nanokit token", kTokenUsage);
  flags.String("credentials", &credentials_file, "The credentials file (mode 0600).");
  flags.String("name", &name, "create: the token's name, unique (a CI job, a team, a script).");
  flags.String("role", &role, "create: publisher (publishes to its projects) or viewer (watches them).");
  flags.StringList("project", &projects, "create: a project the token is for (repeatable).");
  flags.Bool("all-projects", &all_projects, "create: the token is for every project, present and future.");
  flags.String("expires", &expires, "create: how long the token is valid, e.g. 30d or 12h; never for no expiry.");
  std::vector<std::string> args = flags.ParseOrExit(argc, argv, 2);
  if (args.empty()) {
    std::cerr << "nanokit token: create, list or revoke (see nanokit token --help)" << std::endl;
    return 2;
  }
  const std::string& action = args[0];

  if (action == "list") {
    auto set = LoadOrEmpty(credentials_file);
    if (!set.ok()) return Fail(std::string(set.status().message()));
    const absl::Time now = absl::Now();
    std::cout << "NAME\tROLE\tPROJECTS\tEXPIRES\n";
    for (const auth::Credential& c : set->credentials()) {
      std::cout << c.name << "\t" << auth::RoleName(c.role) << "\t"
                << (c.all_projects ? "*" : absl::StrJoin(c.projects, ",")) << "\t"
                << auth::FormatExpiry(c.expires) << (c.ExpiredAt(now) ? " (expired)" : "") << "\n";
    }
    return 0;
  }

  FileLock lock(credentials_file);
  if (!lock.ok()) return Fail(absl::StrCat("cannot lock ", credentials_file, ".lock: ", std::strerror(errno)));
  auto set = LoadOrEmpty(credentials_file);
  if (!set.ok()) return Fail(std::string(set.status().message()));

  if (action == "revoke") {
    if (args.size() != 2) {
      std::cerr << "nanokit token: revoke takes one NAME" << std::endl;
      return 2;
    }
    if (auto status = set->Remove(args[1]); !status.ok()) return Fail(std::string(status.message()));
    if (auto status = auth::WriteCredentialsFile(credentials_file, *set); !status.ok()) {
      return Fail(std::string(status.message()));
    }
    std::cerr << "revoked " << args[1] << " in " << credentials_file << std::endl;
    return 0;
  }

  if (action != "create") {
    std::cerr << "nanokit token: unknown action " << protocol::Quoted(action) << " (create, list or revoke)"
              << std::endl;
    return 2;
  }
  auth::Credential credential;
  if (auto status = protocol::CheckProjectName(name); !status.ok()) {
    std::cerr << "nanokit token: --name: " << status.message() << std::endl;
    return 2;
  }
  credential.name = name;
  const std::optional<auth::Role> parsed_role = auth::ParseRole(role);
  if (!parsed_role) {
    std::cerr << "nanokit token: --role: publisher or viewer" << std::endl;
    return 2;
  }
  credential.role = *parsed_role;
  if (all_projects == !projects.empty()) {
    std::cerr << "nanokit token: give --project (one or more) or --all-projects" << std::endl;
    return 2;
  }
  credential.all_projects = all_projects;
  for (const std::string& project : projects) {
    if (auto status = protocol::CheckProjectName(project); !status.ok()) {
      std::cerr << "nanokit token: --project: " << status.message() << std::endl;
      return 2;
    }
  }
  credential.projects = projects;
  if (expires != "never") {
    auto valid_for = ParseDurationFlag(expires);
    if (!valid_for.ok() || *valid_for <= absl::ZeroDuration()) {
      std::cerr << "nanokit token: --expires: a positive duration such as 30d, or never" << std::endl;
      return 2;
    }
    // Whole seconds: the file keeps RFC 3339 times to the second.
    credential.expires = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now() + *valid_for));
  }
  auto token = GenerateToken();
  if (!token.ok()) return Fail(std::string(token.status().message()));
  credential.token_sha256 = auth::TokenSha256(*token);
  if (auto status = set->Add(std::move(credential)); !status.ok()) return Fail(std::string(status.message()));
  if (auto status = auth::WriteCredentialsFile(credentials_file, *set); !status.ok()) {
    return Fail(std::string(status.message()));
  }
  std::cout << *token << std::endl;
  std::cerr << "created token " << name << " (" << role << ") in " << credentials_file
            << "; it is shown only now" << std::endl;
  return 0;
}

}  // namespace nanokit::cli
