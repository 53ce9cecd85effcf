#pragma once
// The one rule for what of a project list a grant may see, shared by the
// hub's WatchProjects and the gateway's "projects" messages: only projects
// the grant may view, named nowhere else — not even among the removed.

#include <optional>

#include "auth/grant.h"
#include "nanokit/bridge/v1/watch.pb.h"

namespace nanokit::auth {

// The visible part of list; nothing when list is a change of which the
// grant may see nothing (a full list is always returned, maybe empty).
std::optional<bridge::v1::ProjectList> VisibleProjects(const Grant& grant, const bridge::v1::ProjectList& list);

}  // namespace nanokit::auth
