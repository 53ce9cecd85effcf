#include "hub/project.h"

#include <algorithm>

#include "common/clock.h"
#include "common/log.h"

namespace nanokit::hub {

namespace v1 = nanokit::bridge::v1;
Project::Project(std::string name, std::string epoch, ProjectOptions options)
    : name_(std::move(name)),
      options_(options),
      state_(name_, std::move(epoch), options.log_lines_per_resource),
      history_(options.history_events, options.history_bytes),
      core_changed_at_(absl::Now()) {}

Project::Project(std::string name, StoredProject stored, ProjectOptions options)
    : name_(std::move(name)),
      options_(options),
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
    RememberLocked(std::make_shared<const v1::Event>(std::move(event)));
  }
}

void Project::RememberLocked(std::shared_ptr<const v1::Event> event) {
  const uint64_t seq = event->seq();
  const size_t bytes = event->ByteSizeLong();
  history_.Append(seq, bytes, std::move(event));
}

Project::Append::Append(Project* project, std::vector<v1::Event> events) : project_(project) {
  project_->mu_.Lock();
  ProjectState& state = project_->state_;
  const uint64_t before = state.seq();
  batch_ = std::make_shared<v1::WatchResponse>();
  v1::EventBatch* batch = batch_->mutable_events();
  for (v1::Event& event : events) {
    if (!state.Changes(event)) continue;
    event.set_seq(state.seq() + 1);
    state.Apply(event);
    batch->add_events()->Swap(&event);
  }
  events_.reserve(static_cast<size_t>(batch->events_size()));
  for (const v1::Event& event : batch->events()) events_.emplace_back(batch_, &event);
  const uint64_t every = project_->options_.snapshot_every;
  if (every > 0 && state.seq() / every != before / every) {
    snapshot_ = state.ToSnapshot();
    const uint64_t keep = project_->options_.history_events;
    forget_upto_ = state.seq() > keep ? state.seq() - keep : 0;
  }
}

Project::Append::~Append() {
  if (locked_) project_->mu_.Unlock();
}

CommitBatch::ProjectPart Project::Append::Part() const {
  CommitBatch::ProjectPart part;
  part.project = project_->name_;
  part.epoch = project_->state_.epoch();
  part.events.reserve(events_.size());
  for (const auto& event : events_) part.events.push_back(event.get());
  part.snapshot = snapshot_ ? &*snapshot_ : nullptr;
  part.forget_upto = forget_upto_;
  return part;
}

void Project::Append::Publish() {
  if (!events_.empty()) {
    for (const auto& event : events_) project_->RememberLocked(event);
    project_->DeliverLocked(batch_);
  }
  locked_ = false;
  project_->mu_.Unlock();
}

void Project::Append::Revert(absl::StatusOr<StoredProject> committed) {
  if (committed.ok()) {
    project_->RestoreLocked(*std::move(committed));
  } else {
    log::Error("project=", project_->name_, " cannot reload what is committed (", committed.status().message(),
               "); keeping the uncommitted state in memory");
  }
  locked_ = false;
  project_->mu_.Unlock();
}

std::vector<std::shared_ptr<const v1::Event>> Project::AppendAndPublish(std::vector<v1::Event> events) {
  Append append(this, std::move(events));
  auto appended = append.events();
  append.Publish();
  return appended;
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

void Project::CoreAttached() {
  absl::MutexLock lock(&mu_);
  if (core_connections_++ == 0) {
    core_changed_at_ = absl::Now();
    HeartbeatLocked();
  }
}

void Project::CoreDetached() {
  absl::MutexLock lock(&mu_);
  if (--core_connections_ == 0) {
    core_changed_at_ = absl::Now();
    HeartbeatLocked();
  }
}

void Project::Heartbeat() {
  absl::MutexLock lock(&mu_);
  HeartbeatLocked();
}

v1::ProjectSnapshot Project::SnapshotLocked() const {
  v1::ProjectSnapshot snapshot = state_.ToSnapshot();
  snapshot.set_core_connected(core_connections_ > 0);
  *snapshot.mutable_core_changed_at() = ToTimestamp(core_changed_at_);
  return snapshot;
}

v1::ProjectLiveness Project::LivenessLocked() const {
  v1::ProjectLiveness liveness;
  liveness.set_project(name_);
  liveness.set_seq(state_.seq());
  liveness.set_core_connected(core_connections_ > 0);
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
