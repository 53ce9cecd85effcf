#pragma once
// The list of projects that WatchProjects streams follow: every listed
// project's summary (seq, core liveness, last change), and, each tick, what
// changed since the last one. Changes are coalesced per tick, so a flood of
// events costs a list watcher one message a second, not one per event.
// Thread-safe.

#include <memory>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/synchronization/mutex.h"
#include "nanokit/bridge/v1/watch.pb.h"

namespace nanokit::hub {

// Receives the lists. Called with the directory's lock held: only queue
// (never block, never call back into the directory). Each list is built
// once and shared by all sinks; a sink filters it to what it may see.
class ProjectListSink {
 public:
  virtual ~ProjectListSink() = default;
  // False when the sink's queue is full: the directory then calls Resync.
  virtual bool Deliver(std::shared_ptr<const bridge::v1::ProjectList> change) = 0;
  // Drops what is queued and queues this full list instead.
  virtual void Resync(std::shared_ptr<const bridge::v1::ProjectList> full) = 0;
};

class ProjectDirectory {
 public:
  // Brings the directory to `listed` (the summary of every listed project,
  // now) and sends what changed, if anything, to every sink.
  void Update(std::vector<bridge::v1::ProjectSummary> listed);
  // Resyncs the sink with the full list, then sends it every change.
  void Watch(ProjectListSink* sink);
  // After this returns the directory never calls the sink again.
  void Unwatch(ProjectListSink* sink);
  // Resyncs one sink with the full list (its access changed, say).
  void Resync(ProjectListSink* sink);

 private:
  std::shared_ptr<const bridge::v1::ProjectList> FullListLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  absl::btree_map<std::string, bridge::v1::ProjectSummary> listed_ ABSL_GUARDED_BY(mu_);
  std::vector<ProjectListSink*> sinks_ ABSL_GUARDED_BY(mu_);
};

}  // namespace nanokit::hub
