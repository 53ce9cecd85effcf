#pragma once
// Identities that come from elsewhere than the credentials file: an OpenID
// provider's JWTs and the gateway's sign-in sessions (oidc/relying_party.h).
// AccessControl asks such a source to authenticate what it recognizes and,
// every reload, what each followed identity may do now, so an expired
// session or JWT ends its connections and a changed access map narrows or
// widens them, exactly as a revoked or edited scoped token does.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "auth/grant.h"

namespace nanokit::auth {

struct Identity;

class IdentitySource {
 public:
  virtual ~IdentitySource() = default;

  // Whether token is this source's to decide (a JWT, by its shape).
  virtual bool Recognizes(absl::string_view token) const = 0;
  // The token's identity, or UNAUTHENTICATED with a reason safe to log;
  // never blocks on the network. NOT_FOUND: the token names a signing key
  // the source has not seen: RefreshKeys, off the connection's thread,
  // and ask again.
  virtual absl::StatusOr<Identity> Authenticate(absl::string_view token) = 0;
  // Fetches the provider's keys again, at most once a minute. Blocks.
  virtual void RefreshKeys() = 0;
  // The identity of a sign-in session's cookie value.
  virtual absl::StatusOr<Identity> AuthenticateSession(absl::string_view session_id) = 0;

  // Whether token_key (an Identity's) is one of this source's.
  virtual bool Owns(absl::string_view token_key) const = 0;
  // What the identity may do now; null once it has ended (expired, signed
  // out, or its claims no longer exist).
  virtual GrantPtr CurrentGrant(absl::string_view token_key, absl::Time now) = 0;
  // Called on AccessControl's reload thread before followers are told:
  // re-read what the source reads from files.
  virtual void Reload() = 0;
};

}  // namespace nanokit::auth
