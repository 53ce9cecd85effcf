#include "ws_gateway/hub_link.h"

#include "absl/strings/str_cat.h"

#include "hub_client/hub_channel.h"

namespace nanokit::gateway {

HubLink::HubLink(const std::string& target, const HubTls& tls, std::string token)
    : target_(target), token_(std::move(token)) {
  // Snapshots of big projects exceed gRPC's 4 MiB default.
  channel_ = CreateHubChannel(target, tls, 64 * 1024 * 1024);
  stub_ = bridge::v1::WatchService::NewStub(channel_);
}

void HubLink::Authorize(grpc::ClientContext* context) const {
  if (!token_.empty()) context->AddMetadata("authorization", absl::StrCat("Bearer ", token_));
}

bool HubLink::ChannelReady() { return channel_->GetState(/*try_to_connect=*/true) == GRPC_CHANNEL_READY; }

void HubLink::WatchStarted() {
  absl::MutexLock lock(&mu_);
  ++live_watches_;
}

void HubLink::WatchDone() {
  absl::MutexLock lock(&mu_);
  --live_watches_;
}

bool HubLink::AwaitNoWatches(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto none = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return live_watches_ == 0; };
  return mu_.AwaitWithTimeout(absl::Condition(&none), timeout);
}

}  // namespace nanokit::gateway
