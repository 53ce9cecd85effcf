#include "auth/failure_reason.h"

#include "absl/strings/match.h"

namespace nanokit::auth {

absl::string_view FailureReason(const absl::Status& refused) {
  if (absl::IsPermissionDenied(refused)) return "forbidden";
  // The words AccessControl, the credentials and the JWT checks use.
  if (refused.message() == "no token") return "missing";
  if (absl::StrContains(refused.message(), "expired")) return "expired";
  return "invalid";
}

}  // namespace nanokit::auth
