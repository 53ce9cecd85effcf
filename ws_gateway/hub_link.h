#pragma once
// The gateway's gRPC connection to the hub, shared by every project's watch.

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "hub_client/hub_channel.h"
#include "nanokit/bridge/v1/watch.grpc.pb.h"

namespace nanokit::gateway {

class HubLink {
 public:
  // token empty: send none (a hub run with --insecure-no-auth).
  HubLink(const std::string& target, const HubTls& tls, std::string token);

  bridge::v1::WatchService::Stub* stub() { return stub_.get(); }
  // Adds the gateway's credentials to a call to the hub.
  void Authorize(grpc::ClientContext* context) const;
  const std::string& target() const { return target_; }
  // Whether the channel's transport is up (asks it to connect if idle).
  bool ChannelReady();

  // Counts live watch reactors, so that shutdown can wait for the last one
  // before the stub goes away.
  void WatchStarted();
  void WatchDone();
  bool AwaitNoWatches(absl::Duration timeout);

 private:
  const std::string target_;
  const std::string token_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<bridge::v1::WatchService::Stub> stub_;
  absl::Mutex mu_;
  int live_watches_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace nanokit::gateway
