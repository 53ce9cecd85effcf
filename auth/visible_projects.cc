#include "auth/visible_projects.h"

namespace nanokit::auth {

std::optional<bridge::v1::ProjectList> VisibleProjects(const Grant& grant, const bridge::v1::ProjectList& list) {
  bridge::v1::ProjectList visible;
  visible.set_full(list.full());
  for (const bridge::v1::ProjectSummary& summary : list.projects()) {
    if (grant.MayView(summary.project())) *visible.add_projects() = summary;
  }
  for (const std::string& name : list.removed()) {
    if (grant.MayView(name)) visible.add_removed(name);
  }
  if (!visible.full() && visible.projects().empty() && visible.removed().empty()) return std::nullopt;
  return visible;
}

}  // namespace nanokit::auth
