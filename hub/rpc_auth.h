#pragma once
// Who is calling: the identity behind an RPC's metadata
// "authorization: Bearer <token>", and the statuses for a caller refused.

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "auth/access_control.h"
#include "auth/failure_reason.h"
#include "hub/hub_metrics.h"

namespace nanokit::hub {

inline absl::StatusOr<auth::Identity> AuthenticateRpc(const auth::AccessControl& access,
                                                      const grpc::CallbackServerContext* context) {
  const auto& metadata = context->client_metadata();
  auto it = metadata.find("authorization");
  absl::string_view authorization;
  if (it != metadata.end()) authorization = absl::string_view(it->second.data(), it->second.size());
  return access.AuthenticateBearer(authorization);
}

// Counts an RPC refused for its token (UNAUTHENTICATED) or its rights
// (PERMISSION_DENIED), by reason.
inline void CountRefusal(HubMetrics& metrics, const absl::Status& why) {
  metrics.auth_failures.Add(auth::FailureReason(why));
}

// The reason (never the token) and what to send instead.
inline grpc::Status UnauthenticatedStatus(const absl::Status& why) {
  return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                      absl::StrCat(why.message(), ": send metadata \"authorization: Bearer <token>\""));
}

inline grpc::Status RevokedStatus() {
  return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "the token was revoked or has expired");
}

}  // namespace nanokit::hub
