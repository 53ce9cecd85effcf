#pragma once
// Who may do what, for the hub and the gateway alike: checks a presented
// token against the admin token (`nanokit init`) and the credentials file
// (`nanokit token`), and follows the file: it is read again every second,
// so a created token works, and a revoked or expired one is refused, within
// two seconds. Whoever holds an open stream or connection on a token Follows
// its grant and is told when it narrows, widens or ends.
//
// A missing credentials file is an empty one (and is picked up once it
// appears); an unreadable or malformed one is an error at start and, on a
// later read, is logged and the last good one kept.

#include <atomic>
#include <functional>
#include <optional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "auth/credentials.h"
#include "auth/grant.h"
#include "auth/identity_source.h"
#include "common/clock.h"

namespace nanokit::auth {

struct AccessOptions {
  // The token of `nanokit init`: every project, every role. Empty: none.
  std::string admin_token = {};
  // Scoped tokens (auth/credentials.h). Empty: none.
  std::string credentials_file = {};
  absl::Duration reload_interval = absl::Seconds(1);
  // Expiry is decided by this clock. Must outlive the AccessControl.
  const Clock* clock = &Clock::Real();
  // Sign-in sessions and provider-issued JWTs (the gateway with OIDC on);
  // null: none.
  std::shared_ptr<IdentitySource> external = nullptr;
};

// The token part of an "authorization" header or gRPC metadata value
// ("Bearer <token>", the scheme in any case); nothing when it is not one.
std::optional<absl::string_view> BearerToken(absl::string_view authorization);

// Who presented a token, as Authenticate found it.
struct Identity {
  GrantPtr grant;
  // Identifies the token to Follow (its SHA-256; empty for the admin token
  // and with auth off). Not secret, but not logged either.
  std::string token_key;
};

class AccessControl;

// An open stream or connection following its token's grant. Destroying it
// stops the calls: it waits for one in progress, unless it is destroyed
// from inside that call.
class GrantFollower {
 public:
  ~GrantFollower();
  GrantFollower(const GrantFollower&) = delete;
  GrantFollower& operator=(const GrantFollower&) = delete;

 private:
  friend class AccessControl;
  struct Shared;
  explicit GrantFollower(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}
  std::shared_ptr<Shared> shared_;
};

class AccessControl {
 public:
  // Reads the credentials file (see above) and starts following it.
  static absl::StatusOr<std::unique_ptr<AccessControl>> Create(AccessOptions options);
  // Auth turned off (--insecure-no-auth): every caller is admin.
  static std::unique_ptr<AccessControl> Disabled();
  ~AccessControl();
  AccessControl(const AccessControl&) = delete;
  AccessControl& operator=(const AccessControl&) = delete;

  bool enabled() const { return enabled_; }
  bool has_credentials_file() const { return !options_.credentials_file.empty(); }

  // The caller's identity, or UNAUTHENTICATED with a reason that is safe to
  // show and log (it never holds the token): missing, unknown or revoked,
  // or expired (naming the credential).
  absl::StatusOr<Identity> Authenticate(absl::string_view token) const;
  // Same, from an "authorization" value; empty means no credentials sent.
  absl::StatusOr<Identity> AuthenticateBearer(absl::string_view authorization) const;
  // A sign-in session's cookie value; UNAUTHENTICATED without OIDC.
  absl::StatusOr<Identity> AuthenticateSession(absl::string_view session_id) const;
  bool has_external() const { return options_.external != nullptr; }
  // Authenticate said NOT_FOUND (a JWT naming a signing key not seen yet):
  // fetches the provider's keys again, at most once a minute. Blocks: call
  // it off connection threads, then authenticate again.
  void RefreshKeys() const;

  // Calls on_change with the token's new grant when its scope changes, and
  // with null, once and last, when it is revoked or expires. on_change runs
  // on the reload thread and must not block. Null for identities that
  // never change (the admin token, auth off).
  using OnGrantChange = std::function<void(GrantPtr grant)>;
  std::unique_ptr<GrantFollower> Follow(const Identity& identity, OnGrantChange on_change);

  // Reads the file (and the external source's) now and tells followers;
  // the reload thread does this every reload_interval. Tests call it to
  // skip the wait.
  void ReloadNow();

 private:
  AccessControl(bool enabled, AccessOptions options);
  // The file's credentials, or an error to log (the last good ones stay).
  absl::StatusOr<std::shared_ptr<const CredentialSet>> ReadFile();
  GrantPtr CurrentGrant(const CredentialSet& set, absl::string_view token_key) const;
  void NotifyFollowers();
  void RunReloads();

  const bool enabled_;
  const AccessOptions options_;

  mutable absl::Mutex mu_;
  std::shared_ptr<const CredentialSet> credentials_ ABSL_GUARDED_BY(mu_);
  std::string file_text_ ABSL_GUARDED_BY(mu_);  // what credentials_ was read from
  bool file_present_ ABSL_GUARDED_BY(mu_) = false;
  std::string last_error_ ABSL_GUARDED_BY(mu_);  // logged once until it changes
  std::vector<std::weak_ptr<GrantFollower::Shared>> followers_ ABSL_GUARDED_BY(mu_);

  absl::Mutex reload_mu_;  // one reload at a time
  absl::Notification stop_;
  std::thread reloader_;
};

}  // namespace nanokit::auth
