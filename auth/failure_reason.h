#pragma once
// Why a token was refused, as one of a few words for metrics labels
// ("missing", "expired", "invalid", "forbidden"): the same for the hub and
// the gateway, and never anything of the token itself.

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace nanokit::auth {

// For a status from AccessControl's Authenticate* (UNAUTHENTICATED) or a
// grant's refusal (PERMISSION_DENIED).
absl::string_view FailureReason(const absl::Status& refused);

}  // namespace nanokit::auth
