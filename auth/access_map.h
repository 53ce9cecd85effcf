#pragma once
// From an identity provider's claims to what a signed-in person may see
// (issue 12's `--access-map PATH`). Default deny: a user's projects are the
// union of the rules that match, and a user no rule matches sees nothing.
// The file is exactly this JSON:
//
//   {"rules": [
//     {"claim": "groups", "equals": "bridge-admins", "role": "admin"},
//     {"claim": "groups", "prefix": "team-", "project": "$suffix"},
//     {"claim": "email", "suffix": "@example.com", "projects": ["demo", "web"]}]}
//
// `claim` is a dotted path into the claims (`groups`, `realm_access.roles`);
// a list claim matches when any element does; a missing claim matches
// nothing. Each rule has one of `equals`, `prefix`, `suffix`, and grants
// `projects` (a list), `project` (one name; `$suffix` is the matched value
// without its prefix, `$value` the whole value), or `"role": "admin"`
// (every project). Without `role` a rule grants viewing.

#include <memory>
#include <string>
#include <vector>

#include <google/protobuf/struct.pb.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "auth/grant.h"

namespace nanokit::auth {

class AccessMap {
 public:
  // An error names the rule (from 1) and what is wrong with it.
  static absl::StatusOr<AccessMap> Parse(absl::string_view json);

  // What the claims grant, named subject (for logs): admin, a viewer of the
  // matched projects, or nothing (null).
  GrantPtr Evaluate(const google::protobuf::Struct& claims, const std::string& subject) const;

 private:
  struct Rule {
    std::vector<std::string> path;  // the claim, split at dots
    enum class Match { kEquals, kPrefix, kSuffix } match = Match::kEquals;
    std::string operand;
    bool admin = false;
    std::vector<std::string> projects;  // may hold "$suffix" or "$value"
  };
  std::vector<Rule> rules_;
};

// The --access-map file, followed: Reload reads it again when it changed.
// An unreadable or malformed file is an error at Load; on a later Reload it
// is logged (once) and the last good map kept. Thread-safe.
class AccessMapFile {
 public:
  static absl::StatusOr<std::unique_ptr<AccessMapFile>> Load(std::string path);
  std::shared_ptr<const AccessMap> Current() const;
  // True when a changed map was read.
  bool Reload();

 private:
  explicit AccessMapFile(std::string path) : path_(std::move(path)) {}
  absl::StatusOr<std::string> ReadText() const;

  const std::string path_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const AccessMap> map_ ABSL_GUARDED_BY(mu_);
  std::string text_ ABSL_GUARDED_BY(mu_);
  std::string last_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace nanokit::auth
