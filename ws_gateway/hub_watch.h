#pragma once
// One attempt at watching one project on the hub (WatchService.Watch). It
// reports what it reads to its ProjectFanout; when the stream breaks it
// tells the fanout, which decides when to try again with a new HubWatch.

#include <memory>

#include <grpcpp/grpcpp.h>

#include "hub_client/cancellable_stream.h"
#include "nanokit/bridge/v1/watch.grpc.pb.h"
#include "ws_gateway/hub_link.h"

namespace nanokit::gateway {

class ProjectFanout;

class HubWatch final : public CancellableStream<grpc::ClientReadReactor<bridge::v1::WatchResponse>> {
 public:
  HubWatch(HubLink* hub, std::shared_ptr<ProjectFanout> fanout, bridge::v1::WatchRequest request);

  void Start();

  // The fanout cancels it with HoldForCancel and CancelAndRelease
  // (hub_client/cancellable_stream.h).

  void OnReadDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  HubLink* const hub_;
  const std::shared_ptr<ProjectFanout> fanout_;
  const bridge::v1::WatchRequest request_;
  bridge::v1::WatchResponse response_;
};

}  // namespace nanokit::gateway
