#include "jetstream/stream_tail.h"

#include "absl/strings/str_cat.h"
#include "jetstream/status.h"

namespace nanokit::jetstream {

namespace {

constexpr absl::Duration kHeartbeat = absl::Seconds(1);

}  // namespace

absl::StatusOr<std::unique_ptr<StreamTail>> StreamTail::Start(Connection* connection, const StreamSettings& settings,
                                                              uint64_t from_seq, OnEntry on_entry) {
  std::unique_ptr<StreamTail> tail(new StreamTail(std::move(on_entry)));
  jsOptions options;
  jsOptions_Init(&options);
  options.Wait = absl::ToInt64Milliseconds(connection->request_timeout());
  jsSubOptions sub_options;
  jsSubOptions_Init(&sub_options);
  sub_options.Stream = settings.name.c_str();
  sub_options.Ordered = true;
  sub_options.Config.DeliverPolicy = js_DeliverByStartSequence;
  sub_options.Config.OptStartSeq = from_seq == 0 ? 1 : from_seq;
  // The consumer lives on one server: when that one dies, two missed
  // heartbeats make the client build it again elsewhere. 1 s rather than
  // the default 5 s, so a dashboard is not frozen for ten seconds.
  sub_options.Config.Heartbeat = absl::ToInt64Nanoseconds(kHeartbeat);
  jsErrCode error = static_cast<jsErrCode>(0);
  natsStatus s = js_Subscribe(&tail->subscription_, connection->jetstream(), settings.subject.c_str(),
                              &StreamTail::OnMessage, tail.get(), &options, &sub_options, &error);
  if (s != NATS_OK) return ToStatus(s, error, absl::StrCat("following ", settings.name, " from ", from_seq));
  // A backlog of entries waits in the client rather than being dropped as
  // a slow consumer's: the hub catching up reads them as fast as it can.
  natsSubscription_SetPendingLimits(tail->subscription_, -1, -1);
  s = natsSubscription_SetOnCompleteCB(tail->subscription_, &StreamTail::OnComplete, tail.get());
  if (s != NATS_OK) return ToStatus(s, error, "watching the consumer's end");
  return tail;
}

StreamTail::~StreamTail() {
  if (subscription_ == nullptr) return;
  // The completion callback runs after the last message callback returned.
  if (natsSubscription_Unsubscribe(subscription_) == NATS_OK) {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&complete_), absl::Seconds(30));
  }
  natsSubscription_Destroy(subscription_);
}

void StreamTail::OnMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* tail = static_cast<StreamTail*>(closure);
  jsMsgMetaData* meta = nullptr;
  if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
    const uint64_t seq = meta->Sequence.Stream;
    jsMsgMetaData_Destroy(meta);
    std::string data(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg)));
    tail->on_entry_(seq, std::move(data));
  }
  natsMsg_Destroy(msg);
}

void StreamTail::OnComplete(void* closure) {
  auto* tail = static_cast<StreamTail*>(closure);
  absl::MutexLock lock(&tail->mu_);
  tail->complete_ = true;
}

}  // namespace nanokit::jetstream
