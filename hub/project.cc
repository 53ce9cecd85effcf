#include "hub/project.h"

#include <algorithm>

#include "common/log.h"
#include "protocol/proto_time.h"

namespace nanokit::hub {

namespace v1 = nanokit::bridge::v1;
Project::Project(std::string name, std::string epoch, ProjectOptions options)
    : name_(std::move(name)),
      options_(options),
      epoch_(std::move(epoch)),
      state_(name_, epoch_, options.log_lines_per_resource),
      history_(options.history_events, options.history_bytes),
      core_changed_at_(absl::Now()) {}

Project::Project(std::string name, StoredProject stored, ProjectOptions options)
    : name_(std::move(name)),
      options_(options),
      epoch_(stored.epoch),
      state_(name_, stored.epoch, options.log_lines_per_resource),
      history_(options.history_events, options.history_bytes),
      core_changed_at_(absl::Now()) {
  absl::MutexLock lock(&mu_);
  RestoreLocked(std::move(stored));
}

void Project::RestoreLocked(StoredProject stored) {
  state_ = stored.snapshot ? ProjectState::FromSnapshot(*stored.snapshot, options_.log_lines_per_resource)
                           : ProjectState(name_, stored.epoch, options_.log_lines_per_resource);
  history_.Clear();
  for (v1::Event& event : stored.events) {
    if (event.seq() > state_.seq()) state_.Apply(event);
    if (event.has_emitted_at()) last_change_at_ = FromTimestamp(event.emitted_at());
    RememberLocked(std::make_shared<const v1::Event>(std::move(event)));
  }
}

void Project::RememberLocked(std::shared_ptr<const v1::Event> event) {
  const uint64_t seq = event->seq();
  const size_t bytes = event->ByteSizeLong();
  history_.Append(seq, bytes, std::move(event));
}

void Project::Stage(EventList& events) const {
  absl::MutexLock lock(&mu_);
  state_.Stage(events);
}

std::optional<Project::SnapshotDue> Project::Apply(EventList events) {
  if (events.empty()) return std::nullopt;
  // The events as watchers get them (taken whole, not copied); the history
  // points into it (sharing it), so it keeps them without a copy either.
  auto batch = std::make_shared<v1::WatchResponse>();
  v1::EventBatch* out = batch->mutable_events();
  out->mutable_events()->Swap(&events);

  absl::MutexLock lock(&mu_);
  const uint64_t before = state_.seq();
  for (const v1::Event& event : out->events()) {
    state_.Apply(event);
    RememberLocked(std::shared_ptr<const v1::Event>(batch, &event));
  }
  DeliverLocked(batch);
  last_change_at_ = absl::Now();
  const uint64_t every = options_.snapshot_every;
  if (every == 0 || state_.seq() / every == before / every) return std::nullopt;
  const uint64_t keep = options_.history_events;
  return SnapshotDue{state_.ToSnapshot(), state_.seq() > keep ? state_.seq() - keep : 0};
}

std::string Project::epoch() const {
  absl::MutexLock lock(&mu_);
  return epoch_;
}

uint64_t Project::seq() const {
  absl::MutexLock lock(&mu_);
  return state_.seq();
}

void Project::ApplyShared(EventList events) {
  const uint64_t applied = seq();  // only the committer applies: it stays
  int kept = 0;
  for (int i = 0; i < events.size(); ++i) {
    if (events.Get(i).seq() <= applied) continue;
    if (kept != i) events.SwapElements(kept, i);
    ++kept;
  }
  events.DeleteSubrange(kept, events.size() - kept);
  if (events.empty()) return;
  auto batch = std::make_shared<v1::WatchResponse>();
  v1::EventBatch* out = batch->mutable_events();
  out->mutable_events()->Swap(&events);
  absl::MutexLock lock(&mu_);
  for (const v1::Event& event : out->events()) {
    state_.Apply(event);
    RememberLocked(std::shared_ptr<const v1::Event>(batch, &event));
  }
  DeliverLocked(batch);
  last_change_at_ = absl::Now();
}

void Project::AdoptSnapshot(const v1::ProjectSnapshot& snapshot) {
  absl::MutexLock lock(&mu_);
  if (snapshot.seq() <= state_.seq()) return;
  state_ = ProjectState::FromSnapshot(snapshot, options_.log_lines_per_resource);
  epoch_ = snapshot.epoch();
  // The events between are not here: nobody resumes across the jump.
  history_.Clear();
  last_change_at_ = absl::Now();
  ResyncAllLocked();
}

void Project::Reset(const std::string& epoch) {
  absl::MutexLock lock(&mu_);
  epoch_ = epoch;
  state_ = ProjectState(name_, epoch_, options_.log_lines_per_resource);
  history_.Clear();
  last_change_at_ = absl::InfinitePast();
  ResyncAllLocked();
}

void Project::ResyncAllLocked() {
  if (watchers_.empty()) return;
  auto response = std::make_shared<v1::WatchResponse>();
  *response->mutable_snapshot() = SnapshotLocked();
  for (WatchSink* sink : watchers_) sink->Resync(response);
}

void Project::AppendAndPublish(EventList events) {
  Stage(events);
  Apply(std::move(events));
}

void Project::Watch(WatchSink* sink, const std::string& epoch, uint64_t after_seq) {
  absl::MutexLock lock(&mu_);
  watchers_.push_back(sink);
  if (!history_.CanResume(epoch, after_seq, state_.epoch(), state_.seq())) {
    auto response = std::make_shared<v1::WatchResponse>();
    *response->mutable_snapshot() = SnapshotLocked();
    sink->Resync(std::move(response));
    return;
  }
  // Resuming: the missed events (possibly none), then a heartbeat, so the
  // watcher always gets a first response and learns the core's liveness.
  auto it = history_.After(after_seq);
  while (it != history_.end()) {
    auto batch = std::make_shared<v1::WatchResponse>();
    for (size_t n = 0; n < options_.replay_batch_events && it != history_.end(); ++n, ++it) {
      *batch->mutable_events()->add_events() = *it->value;
    }
    if (!sink->Deliver(batch)) {
      auto response = std::make_shared<v1::WatchResponse>();
      *response->mutable_snapshot() = SnapshotLocked();
      sink->Resync(std::move(response));
      return;
    }
  }
  auto heartbeat = std::make_shared<v1::WatchResponse>();
  *heartbeat->mutable_heartbeat()->add_projects() = LivenessLocked();
  *heartbeat->mutable_heartbeat()->mutable_server_time() = NowTimestamp();
  sink->Deliver(std::move(heartbeat));
}

void Project::Unwatch(WatchSink* sink) {
  absl::MutexLock lock(&mu_);
  watchers_.erase(std::remove(watchers_.begin(), watchers_.end(), sink), watchers_.end());
}

v1::ProjectSnapshot Project::Snapshot() const {
  absl::MutexLock lock(&mu_);
  return SnapshotLocked();
}

v1::ProjectLiveness Project::Liveness() const {
  absl::MutexLock lock(&mu_);
  return LivenessLocked();
}

std::optional<v1::ProjectSummary> Project::Summary() const {
  absl::MutexLock lock(&mu_);
  if (!had_core_ && state_.seq() == 0) return std::nullopt;
  v1::ProjectSummary summary;
  summary.set_project(name_);
  summary.set_seq(state_.seq());
  summary.set_core_connected(CoreConnectedLocked());
  *summary.mutable_core_changed_at() = ToTimestamp(core_changed_at_);
  if (last_change_at_ != absl::InfinitePast()) *summary.mutable_last_change_at() = ToTimestamp(last_change_at_);
  return summary;
}

void Project::CoreAttached() {
  absl::MutexLock lock(&mu_);
  had_core_ = true;
  const bool before = CoreConnectedLocked();
  ++core_connections_;
  CoreChangedLocked(before);
}

void Project::CoreDetached() {
  absl::MutexLock lock(&mu_);
  const bool before = CoreConnectedLocked();
  --core_connections_;
  CoreChangedLocked(before);
}

void Project::SetRemoteCore(bool connected) {
  absl::MutexLock lock(&mu_);
  if (connected) had_core_ = true;
  const bool before = CoreConnectedLocked();
  remote_core_ = connected;
  CoreChangedLocked(before);
}

bool Project::HasLocalCore() const {
  absl::MutexLock lock(&mu_);
  return core_connections_ > 0;
}

void Project::CoreChangedLocked(bool before) {
  if (CoreConnectedLocked() == before) return;
  core_changed_at_ = absl::Now();
  HeartbeatLocked();
}

void Project::Heartbeat() {
  absl::MutexLock lock(&mu_);
  HeartbeatLocked();
}

v1::ProjectSnapshot Project::SnapshotLocked() const {
  v1::ProjectSnapshot snapshot = state_.ToSnapshot();
  snapshot.set_core_connected(CoreConnectedLocked());
  *snapshot.mutable_core_changed_at() = ToTimestamp(core_changed_at_);
  return snapshot;
}

v1::ProjectLiveness Project::LivenessLocked() const {
  v1::ProjectLiveness liveness;
  liveness.set_project(name_);
  liveness.set_seq(state_.seq());
  liveness.set_state_digest(state_.Digest());
  liveness.set_core_connected(CoreConnectedLocked());
  *liveness.mutable_core_changed_at() = ToTimestamp(core_changed_at_);
  return liveness;
}

void Project::HeartbeatLocked() {
  if (watchers_.empty()) return;
  auto response = std::make_shared<v1::WatchResponse>();
  *response->mutable_heartbeat()->mutable_server_time() = NowTimestamp();
  *response->mutable_heartbeat()->add_projects() = LivenessLocked();
  DeliverLocked(response);
}

void Project::DeliverLocked(const std::shared_ptr<const v1::WatchResponse>& response) {
  std::shared_ptr<v1::WatchResponse> snapshot;
  for (WatchSink* sink : watchers_) {
    if (sink->Deliver(response)) continue;
    if (snapshot == nullptr) {
      snapshot = std::make_shared<v1::WatchResponse>();
      *snapshot->mutable_snapshot() = SnapshotLocked();
    }
    sink->Resync(snapshot);
  }
}

}  // namespace nanokit::hub
