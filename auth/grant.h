#pragma once
// What an authenticated caller may do: which operations (by role) on which
// projects. The admin token of `nanokit init` (and auth turned off) may do
// everything; a scoped token's grant is its credential's role and projects.
// Immutable and shared: a changed credentials file makes new grants.

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "auth/credentials.h"

namespace nanokit::auth {

class Grant {
 public:
  // Every operation on every project: the admin token, or --insecure-no-auth.
  static std::shared_ptr<const Grant> Admin();
  // The same for a signed-in person an access map makes admin.
  static std::shared_ptr<const Grant> Admin(std::string subject);
  static std::shared_ptr<const Grant> For(const Credential& credential);
  // A signed-in person who may view these projects (an access map's
  // outcome); an empty list views nothing.
  static std::shared_ptr<const Grant> Viewer(std::string subject, std::vector<std::string> projects);

  // Who this is, safe to log: "admin" or the credential's name.
  const std::string& subject() const { return subject_; }
  bool admin() const { return admin_; }
  // Publish (IngestService) and view (Watch, GetSnapshot, WebSocket
  // subscriptions and the project list), each on the grant's projects only.
  bool MayPublish() const { return admin_ || role_ == Role::kPublisher; }
  bool MayView() const { return admin_ || role_ == Role::kViewer; }
  bool MayPublishTo(absl::string_view project) const { return MayPublish() && Covers(project); }
  bool MayView(absl::string_view project) const { return MayView() && Covers(project); }
  absl::Time expires() const { return expires_; }
  // Whether it covers every project; when not, which (sorted).
  bool all_projects() const { return admin_ || all_projects_; }
  const std::vector<std::string>& projects() const { return projects_; }

  // Same role and projects: nothing a holder of either may do differs.
  bool SameScope(const Grant& other) const;

 private:
  Grant() = default;
  bool Covers(absl::string_view project) const;

  std::string subject_;
  bool admin_ = false;
  Role role_ = Role::kViewer;
  bool all_projects_ = false;
  std::vector<std::string> projects_;  // sorted
  absl::Time expires_ = absl::InfiniteFuture();
};

using GrantPtr = std::shared_ptr<const Grant>;

}  // namespace nanokit::auth
