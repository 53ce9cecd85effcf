#pragma once
// The gateway's cookies (sign-in with OIDC on): reading one from a Cookie
// header and writing Set-Cookie values. Both are __Host- cookies, which the
// browser keeps only when Secure, Path=/ and without Domain, so no other
// host or path can plant or read them; HttpOnly, so no page script can.

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace nanokit::gateway {

// The sign-in session: an opaque id (oidc/session_store.h).
inline constexpr absl::string_view kSessionCookie = "__Host-nanokit-session";
// A sign-in under way, between /auth/login and /auth/callback.
inline constexpr absl::string_view kLoginCookie = "__Host-nanokit-login";

// The value of the first cookie named name in a Cookie header
// ("a=1; b=2"), or nothing. Values are taken as they are (ours are
// base64url); a header over 8 KiB, or without that cookie, gives nothing.
std::optional<absl::string_view> FindCookie(absl::string_view header, absl::string_view name);

// A Set-Cookie value: HttpOnly, Secure, SameSite=Lax, Path=/ and Max-Age.
// Lax: the browser brings it back on the top-level GET from the provider's
// redirect, and never on another site's POST or WebSocket.
std::string SetCookie(absl::string_view name, absl::string_view value, absl::Duration max_age);
// Tells the browser to drop it.
std::string ClearCookie(absl::string_view name);

}  // namespace nanokit::gateway
