#include "auth/grant.h"

#include <algorithm>

namespace nanokit::auth {

std::shared_ptr<const Grant> Grant::Admin() {
  static const std::shared_ptr<const Grant> admin = [] {
    std::shared_ptr<Grant> grant(new Grant());
    grant->subject_ = "admin";
    grant->admin_ = true;
    grant->all_projects_ = true;
    return grant;
  }();
  return admin;
}

std::shared_ptr<const Grant> Grant::Admin(std::string subject) {
  std::shared_ptr<Grant> grant(new Grant(*Admin()));
  grant->subject_ = std::move(subject);
  return grant;
}

std::shared_ptr<const Grant> Grant::For(const Credential& credential) {
  std::shared_ptr<Grant> grant(new Grant());
  grant->subject_ = credential.name;
  grant->role_ = credential.role;
  grant->all_projects_ = credential.all_projects;
  grant->projects_ = credential.projects;
  grant->expires_ = credential.expires;
  return grant;
}

std::shared_ptr<const Grant> Grant::Viewer(std::string subject, std::vector<std::string> projects) {
  std::shared_ptr<Grant> grant(new Grant());
  grant->subject_ = std::move(subject);
  grant->role_ = Role::kViewer;
  std::sort(projects.begin(), projects.end());
  projects.erase(std::unique(projects.begin(), projects.end()), projects.end());
  grant->projects_ = std::move(projects);
  return grant;
}

bool Grant::Covers(absl::string_view project) const {
  return all_projects_ || std::binary_search(projects_.begin(), projects_.end(), project);
}

bool Grant::SameScope(const Grant& other) const {
  return admin_ == other.admin_ && role_ == other.role_ && all_projects_ == other.all_projects_ &&
         projects_ == other.projects_;
}

}  // namespace nanokit::auth
