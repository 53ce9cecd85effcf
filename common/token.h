#pragma once
// The admin token of `nanokit init`: the secret that authenticates cores,
// gateways and dashboards on one machine (auth/access_control.h checks it,
// with the scoped tokens).

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace nanokit {

// Where `nanokit init` writes the token and every component reads it.
inline constexpr char kDefaultTokenFile[] = ".nanokit/token";

// 32 random bytes from the OS, base64url without padding (43 characters).
absl::StatusOr<std::string> GenerateToken();

// Reads a token file. Surrounding whitespace is ignored. A missing,
// unreadable or empty file is an error naming the path (never the content).
absl::StatusOr<std::string> LoadTokenFile(const std::string& path);

// Writes a new token to path with mode 0600, creating the parent folder.
// An existing file is left untouched (AlreadyExists) unless force is set.
absl::Status WriteTokenFile(const std::string& path, const std::string& token, bool force);

// Compares in time that depends only on the lengths, not on where the
// strings differ.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace nanokit
