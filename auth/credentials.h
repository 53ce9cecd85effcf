#pragma once
// Scoped tokens for programs (cores, CI jobs, scripts, read-only viewers):
// what `nanokit token create` stores and the servers check. Only each
// token's SHA-256 is kept, with its name, role, projects and expiry; the
// token itself is printed once and never written anywhere.
//
// The file (`.nanokit/credentials`, mode 0600) is text, one credential per
// line, fields separated by one tab:
//
//   # nanokit credentials v1
//   NAME <TAB> ROLE <TAB> PROJECTS <TAB> EXPIRES <TAB> SHA256
//
// ROLE is `publisher` or `viewer`; PROJECTS is `*` (every project) or
// project names separated by commas; EXPIRES is an RFC 3339 time in UTC or
// `never`; SHA256 is 64 lower-case hex digits of the token's SHA-256. Blank
// lines and lines starting with `#` are ignored. Names follow the project
// name rule (protocol/names.h) and are unique.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace nanokit::auth {

inline constexpr char kDefaultCredentialsFile[] = ".nanokit/credentials";

enum class Role { kPublisher, kViewer };

absl::string_view RoleName(Role role);
// "publisher" or "viewer"; nothing for anything else.
std::optional<Role> ParseRole(absl::string_view name);
// An expiry as the file and `nanokit token list` write it: RFC 3339 in UTC
// to the second, or "never".
std::string FormatExpiry(absl::Time expires);

struct Credential {
  std::string name;
  Role role = Role::kViewer;
  bool all_projects = false;
  std::vector<std::string> projects;  // when not all_projects; sorted, unique
  absl::Time expires = absl::InfiniteFuture();
  std::string token_sha256;  // hex

  bool MayAccess(absl::string_view project) const;
  bool ExpiredAt(absl::Time now) const { return now >= expires; }
};

// SHA-256 of a token, as 64 lower-case hex digits.
std::string TokenSha256(absl::string_view token);

class CredentialSet {
 public:
  // The file's text; an error names the line and what is wrong with it.
  static absl::StatusOr<CredentialSet> Parse(absl::string_view text);
  std::string Serialize() const;

  const std::vector<Credential>& credentials() const { return credentials_; }
  const Credential* FindByName(absl::string_view name) const;
  // The credential a presented token belongs to, expired or not (the caller
  // decides, and says which).
  const Credential* FindByToken(absl::string_view token) const;

  // AlreadyExists when the name is taken.
  absl::Status Add(Credential credential);
  // NotFound when there is no such name.
  absl::Status Remove(absl::string_view name);

 private:
  std::vector<Credential> credentials_;
};

// Reads the file; NotFound when it does not exist (an empty set is then a
// choice of the caller), another error naming the path otherwise.
absl::StatusOr<CredentialSet> LoadCredentialsFile(const std::string& path);
// Writes the whole set with mode 0600 through a temporary file and a rename,
// so a server reading it never sees half a file. Creates the parent folder.
absl::Status WriteCredentialsFile(const std::string& path, const CredentialSet& credentials);

}  // namespace nanokit::auth
