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

#include <string>
#include <vector>

#include <google/protobuf/struct.pb.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
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

}  // namespace nanokit::auth
