#pragma once
// The gateway as an OpenID Connect relying party, backend-for-frontend
// style: the browser holds only an opaque session cookie, and the ID token
// (with every other token of the provider) stays here.
//
//   /auth/login    StartLogin: a pending login (state, nonce, PKCE
//                  verifier) and the provider's authorization URL.
//   /auth/callback FinishLogin: state checked against the login cookie's
//                  pending login (once), the code exchanged with the client
//                  secret and the verifier, the ID token verified (oidc/
//                  provider.h, auth/jwt.h), a session created.
//   WebSocket      AuthenticateSession (the cookie) or Authenticate (a
//                  provider-issued bearer JWT, for programs).
//
// What a person may see comes from the access map (auth/access_map.h),
// evaluated on their claims whenever AccessControl asks (every reload), so
// an edited map narrows or widens open connections and an expired session
// or JWT ends them (4401). The provider is discovered in the background and
// retried while it is down: tokens and the admin token keep working, and
// sign-in answers "unavailable" until then.

#include <memory>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "auth/access_control.h"
#include "auth/access_map.h"
#include "auth/identity_source.h"
#include "common/clock.h"
#include "oidc/form.h"
#include "oidc/pending_logins.h"
#include "oidc/provider.h"
#include "oidc/session_store.h"

namespace nanokit::oidc {

inline constexpr char kCallbackPath[] = "/auth/callback";

struct RelyingPartyOptions {
  // The gateway's external URL (https, or http on loopback), no path.
  std::string public_url;
  std::string issuer;
  std::string client_id;
  std::string client_secret;
  std::string scopes = "openid email profile";
  // Trust for the provider's HTTPS; empty: the system's.
  std::string ca_file = {};
  // The audience of bearer JWTs from programs; empty: the client id.
  std::string audience = {};
  std::string access_map_file;
  absl::Duration clock_skew = absl::Seconds(60);
  absl::Duration session_max_age = absl::Hours(12);
  absl::Duration login_lifetime = absl::Minutes(10);
  size_t max_sessions = 100000;
  size_t max_pending_logins = 10000;
  // JWTs followed for their expiry and the access map.
  size_t max_bearer_tokens = 100000;
  absl::Duration min_key_refetch_interval = absl::Minutes(1);
  // --oidc-refresh: keep the provider's refresh token and refresh each
  // session's claims when its ID token expires; a refused refresh ends the
  // session (the person was removed or signed out at the provider).
  bool refresh = false;
  const Clock* clock = &Clock::Real();
};

// Checks the options that need no network: URLs, the client, the access
// map's readability happens in Create.
absl::Status CheckRelyingPartyOptions(const RelyingPartyOptions& options);

class RelyingParty : public auth::IdentitySource {
 public:
  // Reads the access map (an error when unreadable or malformed) and starts
  // discovering the provider in the background.
  static absl::StatusOr<std::shared_ptr<RelyingParty>> Create(RelyingPartyOptions options);
  ~RelyingParty() override;

  // "https://dash.example[:port]": what a browser sends as Origin from
  // the dashboard, required on cookie-carrying upgrades and logouts.
  const std::string& public_origin() const { return public_origin_; }
  const RelyingPartyOptions& options() const { return options_; }
  // Whether the provider has been discovered (sign-in works).
  bool ready() const;
  // Waits for the discovery, for tests and start-up logs.
  bool WaitUntilReady(absl::Duration timeout) const;

  struct LoginStart {
    std::string authorization_url;  // where to send the browser
    std::string login_id;           // the login cookie's value
  };
  // UNAVAILABLE until the provider is discovered.
  absl::StatusOr<LoginStart> StartLogin(absl::string_view return_to);

  struct LoginResult {
    std::string session_id;  // the session cookie's value
    std::string return_to;
    std::string name;
  };
  // The callback's query (code, state; or error from the provider) with the
  // login cookie's value. INVALID_ARGUMENT for a callback that is not one
  // of ours (no, a used or an expired login; a wrong state), UNAUTHENTICATED
  // for a code or ID token the provider or we refuse, UNAVAILABLE when the
  // provider cannot be reached. Blocks on the provider: never call it on a
  // connection's thread.
  absl::StatusOr<LoginResult> FinishLogin(absl::string_view login_id,
                                          const absl::flat_hash_map<std::string, std::string>& query);
  void EndSession(absl::string_view session_id);

  struct SessionView {
    std::string name;
    auth::GrantPtr grant;
    absl::Time expires;
  };
  // UNAUTHENTICATED for no, an ended or an expired session.
  absl::StatusOr<SessionView> DescribeSession(absl::string_view session_id);

  // auth::IdentitySource
  bool Recognizes(absl::string_view token) const override;
  absl::StatusOr<auth::Identity> Authenticate(absl::string_view token) override;
  void RefreshKeys() override;
  absl::StatusOr<auth::Identity> AuthenticateSession(absl::string_view session_id) override;
  bool Owns(absl::string_view token_key) const override;
  auth::GrantPtr CurrentGrant(absl::string_view token_key, absl::Time now) override;
  void Reload() override;

 private:
  struct BearerToken {
    // Shared: every reload evaluates them, and copies would cost per follower.
    std::shared_ptr<const google::protobuf::Struct> claims;
    std::string name;
    absl::Time expires;
  };

  RelyingParty(RelyingPartyOptions options, std::unique_ptr<auth::AccessMapFile> access_map);
  void RunDiscovery();
  void RunRefreshes();
  // One refresh of a session's claims; ends it when the provider refuses.
  void Refresh(const std::string& key, const Session& session);
  // The token endpoint's answer to form, or why not: UNAUTHENTICATED when
  // the provider refused the grant, UNAVAILABLE when it could not be asked.
  absl::StatusOr<google::protobuf::Struct> TokenRequest(const Provider& provider, const FormFields& form) const;
  std::shared_ptr<Provider> provider() const;
  auth::JwtExpectations Expect(std::string audience, std::string nonce) const;
  // What the claims may see now: never null (no rule: nothing).
  auth::GrantPtr GrantFor(const google::protobuf::Struct& claims, const std::string& name) const;

  const RelyingPartyOptions options_;
  const std::string public_origin_;
  const std::string redirect_uri_;
  const std::unique_ptr<auth::AccessMapFile> access_map_;
  PendingLogins logins_;
  SessionStore sessions_;

  mutable absl::Mutex mu_;
  std::shared_ptr<Provider> provider_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, BearerToken> bearer_tokens_ ABSL_GUARDED_BY(mu_);

  absl::Notification stop_;
  std::thread discovery_;
  std::thread refresher_;
};

// Where to send the browser after sign-in: return_to when it is a path on
// this gateway, else "/" — never "//host" or "/\host" (which browsers read
// as another host), nor anything with control characters.
std::string LocalReturnPath(absl::string_view return_to);

// Display name and identity from ID token claims: email, else
// preferred_username, else sub; and issuer + subject.
std::string DisplayName(const google::protobuf::Struct& claims);

}  // namespace nanokit::oidc
