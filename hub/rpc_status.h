#pragma once
// How the hub's services end an RPC: an absl::Status as a grpc::Status (the
// codes are the same numbers), and a reactor for a stream refused before it
// started.

#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"

namespace nanokit::hub {

inline grpc::Status ToGrpcStatus(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

// Finishes at once with the given status; deletes itself when gRPC is done.
template <typename Base>
class RefusedReactor final : public Base {
 public:
  explicit RefusedReactor(const grpc::Status& status) { this->Finish(status); }
  void OnDone() override { delete this; }
};

}  // namespace nanokit::hub
