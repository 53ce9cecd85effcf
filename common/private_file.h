#pragma once
// Files that hold secrets or what guards them (the token, the credentials):
// created with mode 0600, the parent folder made if missing.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace nanokit {

// An existing file is left untouched (AlreadyExists) unless replace is set;
// a replaced file gets mode 0600 too.
absl::Status WritePrivateFile(const std::string& path, absl::string_view content, bool replace);

// Writes a temporary file beside path and renames it over path: a reader
// sees the old content or the new, never half of it.
absl::Status ReplacePrivateFileAtomically(const std::string& path, absl::string_view content);

}  // namespace nanokit
