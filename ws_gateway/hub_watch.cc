#include "ws_gateway/hub_watch.h"

#include "common/log.h"
#include "ws_gateway/project_fanout.h"

namespace nanokit::gateway {

HubWatch::HubWatch(HubLink* hub, std::shared_ptr<ProjectFanout> fanout, bridge::v1::WatchRequest request)
    : hub_(hub), fanout_(std::move(fanout)), request_(std::move(request)) {
  hub_->Authorize(&context());
  hub_->WatchStarted();
  hub_->stub()->async()->Watch(&context(), &request_, this);
  // Released in OnReadDone(false), after the fanout has forgotten us.
  AddHold();
}

void HubWatch::Start() {
  StartRead(&response_);
  StartCall();
}

void HubWatch::OnReadDone(bool ok) {
  if (ok) {
    fanout_->OnHubResponse(this, response_);
    StartRead(&response_);
    return;
  }
  fanout_->OnWatchBroken(this);
  RemoveHold();
}

void HubWatch::OnDone(const grpc::Status& status) {
  if (status.error_code() != grpc::StatusCode::CANCELLED) {
    log::Warn("watch project=", request_.project(), " on hub ", hub_->target(), " ended: ", status.error_message(),
              " (code ", static_cast<int>(status.error_code()), ")");
  }
  HubLink* hub = hub_;
  delete this;
  hub->WatchDone();
}

}  // namespace nanokit::gateway
