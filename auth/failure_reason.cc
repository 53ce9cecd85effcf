#include "auth/failure_reason.h"

#include "absl/strings/cord.h"

namespace nanokit::auth {

namespace {
constexpr absl::string_view kPayloadUrl = "type.nanokit.dev/nanokit.auth.RefusalReason";
}  // namespace

absl::Status Unauthenticated(absl::string_view reason, absl::string_view message) {
  absl::Status status = absl::UnauthenticatedError(message);
  status.SetPayload(kPayloadUrl, absl::Cord(reason));
  return status;
}

absl::string_view FailureReason(const absl::Status& refused) {
  if (absl::IsPermissionDenied(refused)) return kRefusedForbidden;
  const auto reason = refused.GetPayload(kPayloadUrl);
  if (reason && *reason == kRefusedMissing) return kRefusedMissing;
  if (reason && *reason == kRefusedExpired) return kRefusedExpired;
  return kRefusedInvalid;
}

}  // namespace nanokit::auth
