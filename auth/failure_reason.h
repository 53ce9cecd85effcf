#pragma once
// Why a token was refused, as one of a few words for metrics labels: the
// same for the hub and the gateway, and never anything of the token itself.
// The code that decides a refusal names its reason on the status it returns
// (a payload, so rewording a message cannot move a metric); a refusal that
// names none is "invalid", and PERMISSION_DENIED is always "forbidden".

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace nanokit::auth {

inline constexpr absl::string_view kRefusedMissing = "missing";  // no token at all
inline constexpr absl::string_view kRefusedExpired = "expired";  // a token past its expiry
inline constexpr absl::string_view kRefusedInvalid = "invalid";  // unknown, revoked, malformed, bad signature
inline constexpr absl::string_view kRefusedForbidden = "forbidden";  // a valid token without the right

// UNAUTHENTICATED with the message and the reason (kRefusedMissing or
// kRefusedExpired; kRefusedInvalid is what no reason means).
absl::Status Unauthenticated(absl::string_view reason, absl::string_view message);

// One of the four words above.
absl::string_view FailureReason(const absl::Status& refused);

}  // namespace nanokit::auth
