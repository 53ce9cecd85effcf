#pragma once
// One attempt at watching one project on the hub (WatchService.Watch). It
// reports what it reads to its ProjectFanout; when the stream breaks it
// tells the fanout, which decides when to try again with a new HubWatch.

#include <memory>

#include <grpcpp/grpcpp.h>

#include "nanokit/bridge/v1/watch.grpc.pb.h"
#include "ws_gateway/hub_link.h"

namespace nanokit::gateway {

class ProjectFanout;

class HubWatch final : public grpc::ClientReadReactor<bridge::v1::WatchResponse> {
 public:
  HubWatch(HubLink* hub, std::shared_ptr<ProjectFanout> fanout, bridge::v1::WatchRequest request);

  void Start();

  // The fanout's hold keeps this object alive until the fanout lets go:
  // it takes an extra hold under its lock while it still sees this watch,
  // then cancels and releases without the lock.
  void AddCancelHold() { AddHold(); }
  void CancelAndRelease();

  void OnReadDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  HubLink* const hub_;
  const std::shared_ptr<ProjectFanout> fanout_;
  const bridge::v1::WatchRequest request_;
  grpc::ClientContext context_;
  bridge::v1::WatchResponse response_;
};

}  // namespace nanokit::gateway
