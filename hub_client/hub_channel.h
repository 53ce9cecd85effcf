#pragma once
// The gRPC channel every client of the hub uses (cores and gateways).

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

namespace nanokit {

// Keepalive notices a dead hub within seconds, not minutes; the socket is
// retried quickly because callers run their own backoff for streams.
std::shared_ptr<grpc::Channel> CreateHubChannel(const std::string& target, int max_receive_bytes = 4 * 1024 * 1024);

}  // namespace nanokit
