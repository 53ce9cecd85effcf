#pragma once
// The shared secret that authenticates cores, gateways and dashboards.

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

// Checks presented credentials against the configured token. Disabled means
// every request is accepted (--insecure-no-auth).
class Authenticator {
 public:
  static Authenticator Disabled() { return Authenticator(); }
  explicit Authenticator(std::string token) : enabled_(true), token_(std::move(token)) {}

  bool enabled() const { return enabled_; }
  bool CheckToken(absl::string_view presented) const;
  // value of an "authorization" header or gRPC metadata: "Bearer <token>".
  bool CheckBearer(absl::string_view authorization) const;

 private:
  Authenticator() = default;
  bool enabled_ = false;
  std::string token_;
};

}  // namespace nanokit
