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
#include "hub/store.h"
#include "hub/watch_sink.h"
#include "nanokit/bridge/v1/events.pb.h"
#include "nanokit/bridge/v1/watch.pb.h"
#include "protocol/project_state.h"
#include "protocol/resume_window.h"

namespace nanokit::hub {

// Events on their way through the hub: each its own heap object, so that a
// batch takes them from a request, and the history from the batch, by
// pointer rather than by copy.
using EventList = google::protobuf::RepeatedPtrField<bridge::v1::Event>;

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

  std::string epoch() const;
  uint64_t seq() const;

  // Appending takes two steps, so that nothing is seen before it is
  // committed. Stage keeps, in order, the events that change the state and
  // gives them seqs, without touching the state; the hub commits them; then
  // Apply folds them in, keeps them in the history and sends them to every
  // watcher as one batch. Only the hub's committer stages and applies, one
  // group of publishes at a time, so nothing comes between the two steps;
  // watchers and snapshots meanwhile see the committed state.
  void Stage(EventList& events) const;
  // Set when the state crossed a multiple of snapshot_every: the state to
  // write in full, and the seq at or below which the store may forget events.
  struct SnapshotDue {
    bridge::v1::ProjectSnapshot snapshot;
    uint64_t forget_upto = 0;
  };
  std::optional<SnapshotDue> Apply(EventList events);

  // Events committed to a store shared with other hubs, as it ordered them:
  // those at or below the project's seq are dropped (already applied, e.g.
  // by recovery), the rest applied as Apply does. Snapshots are not due:
  // the shared store decides when to write one.
  void ApplyShared(EventList events);
  // A full state from a shared store: taken when it is ahead of the
  // project (watchers then get it as a snapshot), ignored otherwise.
  void AdoptSnapshot(const bridge::v1::ProjectSnapshot& snapshot);
  // The history this project belonged to is gone: it starts over, empty,
  // in epoch; every watcher gets the empty snapshot.
  void Reset(const std::string& epoch);

  // Stage and Apply in one step, for a caller without a store.
  void AppendAndPublish(EventList events);

  // Registers a watcher and delivers its first response: the events after
  // (epoch, after_seq) when the history still holds all of them, otherwise
  // a snapshot. Then it receives every later batch and heartbeat.
  void Watch(WatchSink* sink, const std::string& epoch, uint64_t after_seq);
  void Unwatch(WatchSink* sink);

  bridge::v1::ProjectSnapshot Snapshot() const;
  bridge::v1::ProjectLiveness Liveness() const;
  // For the list of projects: nothing until a core has published to the
  // project or connected for it (a watcher alone does not list a project).
  std::optional<bridge::v1::ProjectSummary> Summary() const;

  // A publisher of this project connected or went away. Watchers hear of a
  // change at once, as a heartbeat.
  void CoreAttached();
  void CoreDetached();
  // Whether a core of this project is connected to another hub sharing the
  // store (what that hub tells, hub/store.h); connected if either is so.
  void SetRemoteCore(bool connected);
  bool HasLocalCore() const;

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
  void ResyncAllLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool CoreConnectedLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return core_connections_ > 0 || remote_core_; }
  // Tells watchers when the core's connection changed from before.
  void CoreChangedLocked(bool before) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string name_;
  const ProjectOptions options_;

  mutable absl::Mutex mu_;
  // Changes only when a shared store's history restarts (Reset).
  std::string epoch_ ABSL_GUARDED_BY(mu_);
  ProjectState state_ ABSL_GUARDED_BY(mu_);
  protocol::ResumeWindow<std::shared_ptr<const bridge::v1::Event>> history_ ABSL_GUARDED_BY(mu_);
  std::vector<WatchSink*> watchers_ ABSL_GUARDED_BY(mu_);
  int core_connections_ ABSL_GUARDED_BY(mu_) = 0;
  bool remote_core_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time core_changed_at_ ABSL_GUARDED_BY(mu_);
  bool had_core_ ABSL_GUARDED_BY(mu_) = false;
  // When the state last changed; InfinitePast before any event.
  absl::Time last_change_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace nanokit::hub
