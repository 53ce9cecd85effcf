#include "jetstream/broadcast.h"

#include "absl/strings/str_cat.h"
#include "jetstream/status.h"

namespace nanokit::jetstream {

absl::StatusOr<std::unique_ptr<Broadcast>> Broadcast::Start(Connection* connection, std::string subject,
                                                            OnMessage on_message) {
  std::unique_ptr<Broadcast> broadcast(new Broadcast(connection, std::move(subject), std::move(on_message)));
  natsStatus s = natsConnection_Subscribe(&broadcast->subscription_, connection->nats(), broadcast->subject_.c_str(),
                                          &Broadcast::OnNatsMessage, broadcast.get());
  if (s == NATS_OK) s = natsSubscription_SetOnCompleteCB(broadcast->subscription_, &Broadcast::OnComplete, broadcast.get());
  if (s != NATS_OK) {
    return ToStatus(s, static_cast<jsErrCode>(0), absl::StrCat("subscribing to ", broadcast->subject_));
  }
  return broadcast;
}

Broadcast::~Broadcast() {
  if (subscription_ == nullptr) return;
  if (natsSubscription_Unsubscribe(subscription_) == NATS_OK) {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&complete_), absl::Seconds(30));
  }
  natsSubscription_Destroy(subscription_);
}

absl::Status Broadcast::Send(absl::string_view data) {
  return ToStatus(natsConnection_Publish(connection_->nats(), subject_.c_str(), data.data(), static_cast<int>(data.size())),
                  static_cast<jsErrCode>(0), absl::StrCat("sending on ", subject_));
}

void Broadcast::OnNatsMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* broadcast = static_cast<Broadcast*>(closure);
  broadcast->on_message_(std::string(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg))));
  natsMsg_Destroy(msg);
}

void Broadcast::OnComplete(void* closure) {
  auto* broadcast = static_cast<Broadcast*>(closure);
  absl::MutexLock lock(&broadcast->mu_);
  broadcast->complete_ = true;
}

}  // namespace nanokit::jetstream
