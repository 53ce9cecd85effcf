#pragma once
// Authentication of incoming RPCs: metadata "authorization: Bearer <token>".

#include <grpcpp/grpcpp.h>

#include "common/token.h"

namespace nanokit::hub {

inline bool IsAuthorized(const Authenticator& auth, const grpc::CallbackServerContext* context) {
  if (!auth.enabled()) return true;
  const auto& metadata = context->client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return false;
  return auth.CheckBearer(absl::string_view(it->second.data(), it->second.size()));
}

inline grpc::Status UnauthenticatedStatus() {
  return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                      "missing or wrong token: send metadata \"authorization: Bearer <token>\"");
}

}  // namespace nanokit::hub
