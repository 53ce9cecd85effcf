#pragma once
// The key of one resource across projects: what conflation and dropped-line
// counts are kept by. A newline cannot occur in a project name or a resource
// id (protocol/names.h), so the key is unambiguous.

#include <string>
#include "absl/strings/string_view.h"

#include "absl/strings/str_cat.h"

namespace nanokit::protocol {

inline std::string ResourceKey(absl::string_view project, absl::string_view resource_id) {
  return absl::StrCat(project, "\n", resource_id);
}

}  // namespace nanokit::protocol
