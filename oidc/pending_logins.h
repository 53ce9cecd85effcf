#pragma once
// Sign-ins under way: between /auth/login sending the browser to the
// provider and /auth/callback bringing it back. Each is found by the value
// of the browser's short-lived login cookie and used once: a second
// callback with the same state, or one after the lifetime, finds nothing.
// Bounded: past max_pending the oldest is forgotten (its browser signs in
// again). Thread-safe.

#include <deque>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace nanokit::oidc {

struct PendingLogin {
  std::string state;          // echoed by the provider: binds the callback to this login
  std::string nonce;          // must come back inside the ID token
  std::string code_verifier;  // PKCE (RFC 7636): proves the callback is ours
  std::string return_to;      // a path on the gateway
  absl::Time started;
};

class PendingLogins {
 public:
  PendingLogins(absl::Duration lifetime, size_t max_pending) : lifetime_(lifetime), max_pending_(max_pending) {}

  // A new login and the value for its cookie.
  absl::StatusOr<std::pair<std::string, PendingLogin>> Begin(std::string return_to, absl::Time now);
  // The login of that cookie, removed; nothing when unknown, used or expired.
  std::optional<PendingLogin> Take(absl::string_view login_id, absl::Time now);

  absl::Duration lifetime() const { return lifetime_; }

 private:
  const absl::Duration lifetime_;
  const size_t max_pending_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, PendingLogin> logins_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> order_ ABSL_GUARDED_BY(mu_);  // oldest first; may name taken ones
};

}  // namespace nanokit::oidc
