#pragma once
// Who may open a WebSocket: the checks made on the HTTP upgrade request,
// before any WebSocket frame, kept free of Beast so they are easy to test.

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "auth/access_control.h"

namespace nanokit::gateway {

inline constexpr absl::string_view kSubprotocol = "nanokit.v1";
inline constexpr absl::string_view kBearerSubprotocolPrefix = "nanokit.bearer.";

struct UpgradeRequest {
  absl::string_view host = {};           // Host header
  absl::string_view origin = {};         // Origin header; empty when absent
  absl::string_view authorization = {};  // Authorization header
  absl::string_view subprotocols = {};   // Sec-WebSocket-Protocol header
  absl::string_view cookie = {};         // Cookie header
};

struct UpgradeDecision {
  int http_status = 101;  // 101 to accept; else 400, 401 or 403
  std::string reason;     // for the response body; never holds a token
  // Who opens it, when accepted.
  std::optional<auth::Identity> identity = std::nullopt;
  // Refused for a JWT whose signing key is not known yet: fetch the
  // provider's keys (AccessControl::RefreshKeys, off the connection's
  // thread) and decide again.
  bool unknown_signing_key = false;
  // For the metrics, when refused for the token or its rights
  // (auth::FailureReason, or "origin"); empty otherwise.
  std::string auth_failure = {};
  bool accepted() const { return http_status == 101; }
};

std::vector<std::string> SplitSubprotocols(absl::string_view header);

// An Origin is allowed when absent (not a browser), equal to the gateway's
// own (http:// or https:// plus the Host header), or listed ("*" allows any).
bool IsOriginAllowed(absl::string_view origin, absl::string_view host,
                     const std::vector<std::string>& allowed_origins);

// With sign-in on, what may use a session cookie (an upgrade, a logout):
// exactly the dashboard's origin (the public URL's) or one listed, never
// "*" and never an absent Origin.
bool IsSignInOriginAllowed(absl::string_view origin, absl::string_view sign_in_origin,
                           const std::vector<std::string>& allowed_origins);

// PERMISSION_DENIED for an identity that may not watch (a publisher's
// token), naming it; OK otherwise.
absl::Status CheckMayWatch(const auth::Identity& identity);

// The token comes from the Authorization header or, for browsers (which
// cannot set headers on a WebSocket), a "nanokit.bearer.<token>"
// subprotocol; it may be a provider-issued JWT when sign-in is on. It must
// be one that may view: a publisher's is refused (403).
//
// With sign-in on (sign_in_origin is the public URL's origin), a request
// without a token may bring the session cookie instead. A browser sends
// that cookie to any page's WebSocket, so such a request must come from
// the dashboard's own origin (or one listed in allowed_origins, never "*"):
// another site's page cannot ride a signed-in person's session.
UpgradeDecision DecideUpgrade(const UpgradeRequest& request, const auth::AccessControl& access,
                              const std::vector<std::string>& allowed_origins,
                              absl::string_view sign_in_origin = {});

}  // namespace nanokit::gateway
