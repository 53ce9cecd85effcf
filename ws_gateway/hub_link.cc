#include "ws_gateway/hub_link.h"

namespace nanokit::gateway {

HubLink::HubLink(const std::string& target, std::string token) : target_(target), token_(std::move(token)) {
  grpc::ChannelArguments args;
  // Notice a dead hub within seconds.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  channel_ = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  stub_ = bridge::v1::WatchService::NewStub(channel_);
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
