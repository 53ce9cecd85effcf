#pragma once

#include <atomic>

#include "common/token.h"
#include "hub/hub.h"
#include "nanokit/bridge/v1/watch.grpc.pb.h"

namespace nanokit::hub {

struct WatchServiceOptions {
  // Responses queued per watcher; past it the watcher is resynced with a
  // snapshot instead of growing without bound.
  size_t max_queued_responses = 4096;
};

// WatchService: list-then-watch of one project per stream, and GetSnapshot.
class WatchService final : public bridge::v1::WatchService::CallbackService {
 public:
  WatchService(Hub* hub, Authenticator auth, WatchServiceOptions options = {})
      : hub_(hub), auth_(std::move(auth)), options_(options) {}

  grpc::ServerWriteReactor<bridge::v1::WatchResponse>* Watch(grpc::CallbackServerContext* context,
                                                              const bridge::v1::WatchRequest* request) override;
  grpc::ServerUnaryReactor* GetSnapshot(grpc::CallbackServerContext* context,
                                        const bridge::v1::GetSnapshotRequest* request,
                                        bridge::v1::ProjectSnapshot* response) override;

 private:
  Hub* const hub_;
  const Authenticator auth_;
  const WatchServiceOptions options_;
  std::atomic<uint64_t> next_stream_id_{1};
};

}  // namespace nanokit::hub
