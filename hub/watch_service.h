#pragma once

#include <atomic>

#include "auth/access_control.h"
#include "hub/hub.h"
#include "nanokit/bridge/v1/watch.grpc.pb.h"

namespace nanokit::hub {

struct WatchServiceOptions {
  // Responses queued per watcher; past it the watcher is resynced with a
  // snapshot instead of growing without bound.
  size_t max_queued_responses = 4096;
};

// WatchService: list-then-watch of one project per stream, GetSnapshot, and
// the list of projects. Each takes a token that may view (admin or viewer),
// and only its projects; an open stream ends when its token is revoked or
// expires (UNAUTHENTICATED) or no longer covers the project.
class WatchService final : public bridge::v1::WatchService::CallbackService {
 public:
  // access must outlive the service.
  WatchService(Hub* hub, auth::AccessControl* access, WatchServiceOptions options = {})
      : hub_(hub), access_(access), options_(options) {}

  grpc::ServerWriteReactor<bridge::v1::WatchResponse>* Watch(grpc::CallbackServerContext* context,
                                                              const bridge::v1::WatchRequest* request) override;
  grpc::ServerUnaryReactor* GetSnapshot(grpc::CallbackServerContext* context,
                                        const bridge::v1::GetSnapshotRequest* request,
                                        bridge::v1::ProjectSnapshot* response) override;
  grpc::ServerWriteReactor<bridge::v1::ProjectList>* WatchProjects(
      grpc::CallbackServerContext* context, const bridge::v1::WatchProjectsRequest* request) override;

 private:
  Hub* const hub_;
  auth::AccessControl* const access_;
  const WatchServiceOptions options_;
  std::atomic<uint64_t> next_stream_id_{1};
};

}  // namespace nanokit::hub
