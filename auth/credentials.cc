#include "auth/credentials.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <openssl/sha.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/private_file.h"
#include "common/token.h"
#include "protocol/names.h"

namespace nanokit::auth {

namespace {

constexpr absl::string_view kHeader = "# nanokit credentials v1";

absl::Status LineError(int line, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("line ", line, ": ", what));
}

bool IsLowerHex(absl::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

absl::StatusOr<Credential> ParseLine(absl::string_view line, int number) {
  std::vector<absl::string_view> fields = absl::StrSplit(line, '\t');
  if (fields.size() != 5) {
    return LineError(number, absl::StrCat("expected 5 tab-separated fields (name, role, projects, expires, sha256), "
                                          "found ", fields.size()));
  }
  Credential credential;
  if (!protocol::IsValidProjectName(fields[0])) {
    return LineError(number, absl::StrCat("name ", protocol::Quoted(fields[0]), ": ", protocol::kProjectNameRule));
  }
  credential.name = std::string(fields[0]);
  const std::optional<Role> role = ParseRole(fields[1]);
  if (!role) return LineError(number, absl::StrCat("role ", protocol::Quoted(fields[1]), ": must be publisher or viewer"));
  credential.role = *role;
  if (fields[2] == "*") {
    credential.all_projects = true;
  } else {
    for (absl::string_view project : absl::StrSplit(fields[2], ',')) {
      if (auto status = protocol::CheckProjectName(project); !status.ok()) {
        return LineError(number, status.message());
      }
      credential.projects.emplace_back(project);
    }
    std::sort(credential.projects.begin(), credential.projects.end());
    credential.projects.erase(std::unique(credential.projects.begin(), credential.projects.end()),
                              credential.projects.end());
  }
  if (fields[3] != "never") {
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, fields[3], &credential.expires, &error)) {
      return LineError(number, absl::StrCat("expires ", protocol::Quoted(fields[3]),
                                            ": an RFC 3339 time (2027-01-31T00:00:00Z) or never"));
    }
  }
  if (fields[4].size() != 64 || !IsLowerHex(fields[4])) {
    // The field is a hash, but say nothing of its content anyway.
    return LineError(number, "sha256: must be 64 lower-case hex digits");
  }
  credential.token_sha256 = std::string(fields[4]);
  return credential;
}

}  // namespace

absl::string_view RoleName(Role role) { return role == Role::kPublisher ? "publisher" : "viewer"; }

std::optional<Role> ParseRole(absl::string_view name) {
  if (name == "publisher") return Role::kPublisher;
  if (name == "viewer") return Role::kViewer;
  return std::nullopt;
}

std::string FormatExpiry(absl::Time expires) {
  if (expires == absl::InfiniteFuture()) return "never";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", expires, absl::UTCTimeZone());
}

bool Credential::MayAccess(absl::string_view project) const {
  return all_projects || std::binary_search(projects.begin(), projects.end(), project);
}

std::string TokenSha256(absl::string_view token) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

absl::StatusOr<CredentialSet> CredentialSet::Parse(absl::string_view text) {
  CredentialSet set;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (absl::StripAsciiWhitespace(line).empty() || line.front() == '#') continue;
    auto credential = ParseLine(line, number);
    if (!credential.ok()) return credential.status();
    if (set.FindByName(credential->name) != nullptr) {
      return LineError(number, absl::StrCat("name ", protocol::Quoted(credential->name), " appears twice"));
    }
    set.credentials_.push_back(*std::move(credential));
  }
  return set;
}

std::string CredentialSet::Serialize() const {
  std::string out = absl::StrCat(kHeader, "\n# name\trole\tprojects\texpires\tsha256\n");
  for (const Credential& c : credentials_) {
    absl::StrAppend(&out, c.name, "\t", RoleName(c.role), "\t", c.all_projects ? "*" : absl::StrJoin(c.projects, ","),
                    "\t", FormatExpiry(c.expires), "\t", c.token_sha256, "\n");
  }
  return out;
}

const Credential* CredentialSet::FindByName(absl::string_view name) const {
  for (const Credential& c : credentials_) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

const Credential* CredentialSet::FindByToken(absl::string_view token) const {
  const std::string hash = TokenSha256(token);
  // Compares hashes, not tokens; in constant time all the same.
  const Credential* found = nullptr;
  for (const Credential& c : credentials_) {
    if (ConstantTimeEquals(c.token_sha256, hash)) found = &c;
  }
  return found;
}

absl::Status CredentialSet::Add(Credential credential) {
  if (FindByName(credential.name) != nullptr) {
    return absl::AlreadyExistsError(absl::StrCat("a token named ", protocol::Quoted(credential.name),
                                                 " exists; revoke it first or choose another name"));
  }
  std::sort(credential.projects.begin(), credential.projects.end());
  credential.projects.erase(std::unique(credential.projects.begin(), credential.projects.end()),
                            credential.projects.end());
  credentials_.push_back(std::move(credential));
  return absl::OkStatus();
}

absl::Status CredentialSet::Remove(absl::string_view name) {
  auto it = std::find_if(credentials_.begin(), credentials_.end(), [&](const Credential& c) { return c.name == name; });
  if (it == credentials_.end()) {
    return absl::NotFoundError(absl::StrCat("no token named ", protocol::Quoted(name)));
  }
  credentials_.erase(it);
  return absl::OkStatus();
}

absl::StatusOr<CredentialSet> LoadCredentialsFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat("no credentials file ", path));
    return absl::PermissionDeniedError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  auto set = CredentialSet::Parse(text.str());
  if (!set.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", set.status().message()));
  return set;
}

absl::Status WriteCredentialsFile(const std::string& path, const CredentialSet& credentials) {
  return ReplacePrivateFileAtomically(path, credentials.Serialize());
}

}  // namespace nanokit::auth
