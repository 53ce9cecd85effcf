#pragma once
// One project inside the hub: its materialized state, a bounded history of
// recent events for resuming watchers, the watchers themselves, and whether
// its core is connected. Thread-safe.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/project_state.h"
#include "hub/store.h"
#include "hub/watch_sink.h"
#include "protocol/resume_window.h"
#include "nanokit/bridge/v1/events.pb.h"
#include "nanokit/bridge/v1/watch.pb.h"

namespace nanokit::hub {

struct ProjectOptions {
  // Events kept for resume; a watcher further behind gets a snapshot.
  size_t history_events = 100000;
  // ...and at most this many bytes of them.
  size_t history_bytes = 256 * 1024 * 1024;
  size_t log_lines_per_resource = ProjectState::kDefaultLogLinesPerResource;
  // Events per EventBatch when replaying history to a resuming watcher.
  size_t replay_batch_events = 1000;
  // How often the state is written to the store in full; a restart replays
  // the events after the last one.
  uint64_t snapshot_every = 10000;
};

class Project {
 public:
  Project(std::string name, std::string epoch, ProjectOptions options);
  // A project as a store gave it back.
  Project(std::string name, StoredProject stored, ProjectOptions options);

  const std::string& name() const { return name_; }

  // Appending is two-phase so that nothing is seen before it is committed.
  // An Append holds the project's lock from its construction until Publish
  // or Revert: it folds the events into the state in order, drops those
  // that change nothing and assigns seq to the rest; the hub commits
  // Part(), then Publish() keeps them in the history and sends them to
  // every watcher as one batch, or Revert() puts back what the store has.
  class Append {
   public:
    Append(Project* project, std::vector<bridge::v1::Event> events);
    ~Append();
    Append(const Append&) = delete;
    Append& operator=(const Append&) = delete;

    const std::vector<std::shared_ptr<const bridge::v1::Event>>& events() const { return events_; }
    CommitBatch::ProjectPart Part() const;
    void Publish();
    void Revert(absl::StatusOr<StoredProject> committed);

   private:
    Project* const project_;
    bool locked_ = true;
    // The events as watchers get them; events_ point into it (sharing it),
    // so the history keeps them without a copy.
    std::shared_ptr<bridge::v1::WatchResponse> batch_;
    std::vector<std::shared_ptr<const bridge::v1::Event>> events_;
    std::optional<bridge::v1::ProjectSnapshot> snapshot_;
    uint64_t forget_upto_ = 0;
  };

  // Append, Part and Publish in one step, for a caller without a store.
  std::vector<std::shared_ptr<const bridge::v1::Event>> AppendAndPublish(std::vector<bridge::v1::Event> events);

  // Registers a watcher and delivers its first response: the events after
  // (epoch, after_seq) when the history still holds all of them, otherwise
  // a snapshot. Then it receives every later batch and heartbeat.
  void Watch(WatchSink* sink, const std::string& epoch, uint64_t after_seq);
  void Unwatch(WatchSink* sink);

  bridge::v1::ProjectSnapshot Snapshot() const;
  bridge::v1::ProjectLiveness Liveness() const;

  // A publisher of this project connected or went away. Watchers hear of a
  // change at once, as a heartbeat.
  void CoreAttached();
  void CoreDetached();

  // Sends a heartbeat to every watcher.
  void Heartbeat();

 private:
  bridge::v1::ProjectSnapshot SnapshotLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bridge::v1::ProjectLiveness LivenessLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DeliverLocked(const std::shared_ptr<const bridge::v1::WatchResponse>& response)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void HeartbeatLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RestoreLocked(StoredProject stored) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RememberLocked(std::shared_ptr<const bridge::v1::Event> event) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string name_;
  const ProjectOptions options_;

  mutable absl::Mutex mu_;
  ProjectState state_ ABSL_GUARDED_BY(mu_);
  protocol::ResumeWindow<std::shared_ptr<const bridge::v1::Event>> history_ ABSL_GUARDED_BY(mu_);
  std::vector<WatchSink*> watchers_ ABSL_GUARDED_BY(mu_);
  int core_connections_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time core_changed_at_ ABSL_GUARDED_BY(mu_);
};

}  // namespace nanokit::hub
