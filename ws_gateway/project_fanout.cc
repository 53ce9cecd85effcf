#include "ws_gateway/project_fanout.h"

#include <algorithm>

#include <boost/asio/post.hpp>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "protocol/proto_time.h"
#include "protocol/server_message.h"
#include "ws_gateway/hub_watch.h"

namespace nanokit::gateway {

namespace v1 = nanokit::bridge::v1;
namespace net = boost::asio;

ProjectFanout::ProjectFanout(std::string project, HubLink* hub, std::vector<net::io_context*> shards,
                               FanoutOptions options, GatewayMetrics* metrics)
    : project_(std::move(project)),
      hub_(hub),
      options_(options),
      metrics_(metrics),
      strand_(net::make_strand(*shards.at(0))),
      retry_timer_(strand_),
      backoff_(options.initial_backoff, options.max_backoff),
      state_(project_, ""),
      history_(options.resume_history, options.resume_history_bytes) {
  for (net::io_context* ioc : shards) feeds_.push_back(std::make_shared<ShardFeed>(*ioc, *options_.clock));
}

ProjectFanout::~ProjectFanout() = default;

void ProjectFanout::Start() { StartWatch(); }

void ProjectFanout::Stop() {
  HubWatch* watch = nullptr;
  {
    absl::MutexLock lock(&mu_);
    stopped_ = true;
    watch = watch_;
    if (watch != nullptr) watch->HoldForCancel();
    pending_.clear();
    subscribers_.clear();
    for (auto& feed : feeds_) feed->Push(FeedLeaveAll{});
  }
  if (watch != nullptr) watch->CancelAndRelease();
  net::post(strand_, [self = shared_from_this()] { self->retry_timer_.cancel(); });
}

void ProjectFanout::StartWatch() {
  v1::WatchRequest request;
  request.set_project(project_);
  HubWatch* watch = nullptr;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_ || watch_ != nullptr) return;
    if (has_state_ && !force_snapshot_) {
      request.set_epoch(state_.epoch());
      request.set_after_seq(state_.seq());
    }
    force_snapshot_ = false;
    watch_healthy_ = false;
    watch = new HubWatch(hub_, shared_from_this(), request);
    watch_ = watch;
  }
  watch->Start();
}

void ProjectFanout::ScheduleReconnect(absl::Duration delay) {
  net::post(strand_, [self = shared_from_this(), delay] {
    self->retry_timer_.expires_after(absl::ToChronoNanoseconds(delay));
    self->retry_timer_.async_wait([self](boost::system::error_code ec) {
      if (!ec) self->StartWatch();
    });
  });
}

void ProjectFanout::OnWatchBroken(HubWatch* watch) {
  absl::Duration delay;
  {
    absl::MutexLock lock(&mu_);
    if (watch_ != watch) return;
    watch_ = nullptr;
    if (stopped_) return;
    if (hub_connected_) {
      log::Warn("project=", project_, " lost the hub; serving the last state and reconnecting");
      hub_connected_ = false;
      BroadcastLocked(HeartbeatFrameLocked());
    }
    if (watch_healthy_) backoff_.Reset();
    delay = backoff_.Next();
  }
  ScheduleReconnect(delay);
}

void ProjectFanout::OnHubResponse(HubWatch* watch, const v1::WatchResponse& response) {
  HubWatch* to_cancel = nullptr;
  {
    absl::MutexLock lock(&mu_);
    if (watch_ != watch || stopped_) return;
    watch_healthy_ = true;
    if (!hub_connected_) {
      hub_connected_ = true;
      log::Info("project=", project_, " watching the hub at ", hub_->target());
    }
    switch (response.kind_case()) {
      case v1::WatchResponse::kSnapshot:
        ApplySnapshotLocked(response.snapshot());
        break;
      case v1::WatchResponse::kEvents:
        if (!has_state_) {
          log::Warn("project=", project_, " got events before any state; asking for a snapshot");
          force_snapshot_ = true;
          to_cancel = watch;
          break;
        }
        ApplyEventsLocked(response.events());
        if (force_snapshot_) to_cancel = watch;
        break;
      case v1::WatchResponse::kHeartbeat:
        for (const v1::ProjectLiveness& liveness : response.heartbeat().projects()) {
          if (liveness.project() == project_) ApplyLivenessLocked(liveness);
        }
        if (force_snapshot_) to_cancel = watch;
        break;
      case v1::WatchResponse::KIND_NOT_SET:
        break;
    }
    if (to_cancel != nullptr) to_cancel->HoldForCancel();
  }
  if (to_cancel != nullptr) to_cancel->CancelAndRelease();
}

void ProjectFanout::ApplySnapshotLocked(const v1::ProjectSnapshot& snapshot) {
  const bool new_epoch = has_state_ && snapshot.epoch() != state_.epoch();
  if (new_epoch) {
    log::Warn("project=", project_, " the hub's history changed (epoch ", state_.epoch(), " -> ", snapshot.epoch(),
              "); resyncing ", subscribers_.size(), " subscribers");
  }
  state_ = ProjectState::FromSnapshot(snapshot);
  core_connected_ = snapshot.core_connected();
  core_changed_at_ = snapshot.core_changed_at();
  has_state_ = true;
  history_.Clear();
  snapshot_frame_.reset();
  // Whatever the subscribers had can no longer be continued message by message:
  // every one of them starts over from this snapshot.
  metrics_->resyncs.Add("snapshot", subscribers_.size());
  BroadcastLocked(SnapshotFrameLocked());
  for (Pending& pending : pending_) JoinLocked(std::move(pending.subscriber), pending.epoch, pending.after_seq);
  pending_.clear();
}

void ProjectFanout::ApplyEventsLocked(const v1::EventBatch& batch) {
  // One hub batch, conflated once here for every subscriber, is sent as one
  // WebSocket frame (up to kMaxFrameMessages messages per frame).
  std::vector<EncodedMessagePtr> messages;
  messages.reserve(static_cast<size_t>(batch.events_size()));
  for (const v1::Event& event : batch.events()) {
    if (event.seq() <= state_.seq()) continue;  // already applied
    if (event.seq() != state_.seq() + 1) {
      log::Warn("project=", project_, " gap in the hub's events (at ", state_.seq(), ", got ", event.seq(),
                "); resyncing from a snapshot");
      force_snapshot_ = true;
      break;
    }
    state_.Apply(event);
    EncodedMessagePtr message = EncodeMessage(EventToServerMessage(event));
    history_.Append(event.seq(), message->json.size(), message);
    messages.push_back(std::move(message));
  }
  if (!messages.empty()) {
    Conflate(messages);
    for (const OutboundFramePtr& frame : PackFrames(messages)) BroadcastLocked(frame);
  }
  snapshot_frame_.reset();
}

void ProjectFanout::ApplyLivenessLocked(const v1::ProjectLiveness& liveness) {
  // At the same seq the mirror must be the hub's state; if it is not (a
  // change that never reached the gateway), start over from a snapshot.
  if (liveness.seq() == state_.seq() && !liveness.state_digest().empty() &&
      liveness.state_digest() != state_.Digest()) {
    log::Warn("project=", project_, " state digest differs from the hub's at seq ", state_.seq(),
              "; resyncing from a snapshot");
    force_snapshot_ = true;
  }
  if (liveness.core_connected() == core_connected_) return;
  core_connected_ = liveness.core_connected();
  core_changed_at_ = liveness.core_changed_at();
  snapshot_frame_.reset();
  // Dashboards hear of a core coming or going at once, not at the next tick.
  BroadcastLocked(HeartbeatFrameLocked());
}

EncodedMessagePtr ProjectFanout::SnapshotFrameLocked() {
  if (snapshot_frame_ == nullptr) {
    v1::ProjectSnapshot snapshot = state_.ToSnapshot();
    snapshot.set_core_connected(core_connected_);
    *snapshot.mutable_core_changed_at() = core_changed_at_;
    snapshot_frame_ = EncodeMessage(SnapshotMessage(snapshot));
  }
  return snapshot_frame_;
}

EncodedMessagePtr ProjectFanout::ReplyFrameLocked(const std::string& epoch, uint64_t after_seq) {
  if (!history_.CanResume(epoch, after_seq, state_.epoch(), state_.seq())) return SnapshotFrameLocked();
  const uint64_t seq = state_.seq();
  v1::ServerMessage header;
  header.set_type("resumed");
  header.set_project(project_);
  header.set_seq(seq);
  header.set_epoch(state_.epoch());
  auto first = history_.After(after_seq);
  std::vector<absl::string_view> parts;
  parts.reserve(static_cast<size_t>(history_.end() - first));
  size_t bytes = 0;
  for (auto it = first; it != history_.end(); ++it) {
    bytes += it->bytes;
    // Far behind: the current state is smaller than everything missed.
    if (bytes > options_.max_resume_bytes) return SnapshotFrameLocked();
    parts.emplace_back(it->value->json);
  }
  return EncodeJson(JsonWithMessages(header, parts), header);
}

void ProjectFanout::Subscribe(std::shared_ptr<Subscriber> subscriber, const std::string& epoch, uint64_t after_seq) {
  absl::MutexLock lock(&mu_);
  if (stopped_) return;
  subscribers_.erase(subscriber->id());
  pending_.erase(std::remove_if(pending_.begin(), pending_.end(),
                                [&](const Pending& p) { return p.subscriber->id() == subscriber->id(); }),
                 pending_.end());
  if (!has_state_) {
    pending_.push_back({std::move(subscriber), epoch, after_seq});
    return;
  }
  JoinLocked(std::move(subscriber), epoch, after_seq);
}

void ProjectFanout::JoinLocked(std::shared_ptr<Subscriber> subscriber, const std::string& epoch, uint64_t after_seq) {
  // The reply is made under the lock that orders every frame, and goes through
  // the same feed: no frame can fall between them or come before.
  const size_t shard = subscriber->shard();
  subscribers_[subscriber->id()] = shard;
  EncodedMessagePtr message = ReplyFrameLocked(epoch, after_seq);
  metrics_->resyncs.Add(message == snapshot_frame_ ? "snapshot" : "resumed");
  OutboundFramePtr reply = PackFrames({std::move(message)}).front();
  feeds_.at(shard)->Push(FeedJoin{std::move(subscriber), std::move(reply)});
}

void ProjectFanout::Unsubscribe(uint64_t subscriber_id) {
  absl::MutexLock lock(&mu_);
  if (auto it = subscribers_.find(subscriber_id); it != subscribers_.end()) {
    feeds_[it->second]->Push(FeedLeave{subscriber_id});
    subscribers_.erase(it);
  }
  pending_.erase(std::remove_if(pending_.begin(), pending_.end(),
                                [&](const Pending& p) { return p.subscriber->id() == subscriber_id; }),
                 pending_.end());
}

void ProjectFanout::BroadcastLocked(const EncodedMessagePtr& message) { BroadcastLocked(PackFrames({message}).front()); }

void ProjectFanout::BroadcastLocked(const OutboundFramePtr& frame) {
  if (subscribers_.empty()) return;
  for (auto& feed : feeds_) feed->Push(FeedChunk{frame});
}

v1::ProjectLiveness ProjectFanout::LivenessLocked() const {
  v1::ProjectLiveness liveness;
  liveness.set_project(project_);
  liveness.set_seq(state_.seq());
  liveness.set_state_digest(state_.Digest());
  liveness.set_core_connected(core_connected_);
  *liveness.mutable_core_changed_at() = core_changed_at_;
  return liveness;
}

EncodedMessagePtr ProjectFanout::HeartbeatFrameLocked() const {
  v1::ServerMessage message;
  message.set_type("heartbeat");
  message.set_project(project_);
  message.set_seq(state_.seq());
  v1::Heartbeat* heartbeat = message.mutable_heartbeat();
  *heartbeat->mutable_server_time() = NowTimestamp(*options_.clock);
  heartbeat->set_hub_connected(hub_connected_);
  *heartbeat->add_projects() = LivenessLocked();
  return EncodeMessage(message);
}

v1::ProjectLiveness ProjectFanout::Liveness() const {
  absl::MutexLock lock(&mu_);
  return LivenessLocked();
}

bool ProjectFanout::hub_connected() const {
  absl::MutexLock lock(&mu_);
  return hub_connected_;
}

}  // namespace nanokit::gateway
