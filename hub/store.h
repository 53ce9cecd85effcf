#pragma once
// Where the hub keeps what it has accepted. The hub folds events into memory
// and hands every accepted batch to a Store before acknowledging it, so a
// durable implementation makes "acknowledged" mean "committed", and gives
// back on start what a previous run committed.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nanokit/bridge/v1/events.pb.h"
#include "nanokit/bridge/v1/watch.pb.h"

namespace nanokit::hub {

// One project as a store keeps it: its epoch, the state at some seq, and
// the events after it (and some before it, for resuming watchers).
struct StoredProject {
  std::string epoch;
  std::optional<bridge::v1::ProjectSnapshot> snapshot;
  // In seq order. Those at or below snapshot->seq are history only.
  std::vector<bridge::v1::Event> events;
};

struct RecoveredState {
  // The epoch of projects created from now on; empty: a new one for this
  // run (a store shared by several hubs gives them all the same).
  std::string epoch;
  absl::flat_hash_map<std::string, StoredProject> projects;
  // Per source: the highest source_seq accepted.
  absl::flat_hash_map<std::string, uint64_t> accepted_source_seq;
};

// What one group of publishes adds (every stream's waiting requests at that
// moment), written in one transaction.
struct StoreCommit {
  struct ProjectPart {
    std::string project;
    std::string epoch;
    std::vector<const bridge::v1::Event*> events;  // seq assigned
    // Set every so often: the state at its seq, from which a restart replays.
    const bridge::v1::ProjectSnapshot* snapshot = nullptr;
    // Events at or below this seq may be forgotten (0: none).
    uint64_t forget_upto = 0;
  };
  // Per source in the group: the highest source_seq now accepted.
  struct SourcePart {
    std::string source;
    uint64_t accepted_source_seq = 0;
  };
  std::vector<SourcePart> sources;
  std::vector<ProjectPart> projects;
};

// What a store shared with other hubs gives this hub to apply, in the
// store's order: the commits of other hubs and, for a shared store, this
// hub's own too (it applies its commits as the store ordered them).
struct SharedCommit {
  // Set: the shared history was lost (the stream deleted and made again);
  // everything before is gone and projects start over in this epoch.
  std::string new_epoch;
  std::vector<bridge::v1::Event> events;  // seq assigned, each project's in order
  std::vector<StoreCommit::SourcePart> sources;
  // A project's state in full (restores a project that lacks the events up
  // to it; otherwise history only).
  std::optional<bridge::v1::ProjectSnapshot> snapshot;
  // Projects whose oldest entry needed to restore them is near the end of
  // what the store keeps: write a snapshot of each (a commit of snapshots).
  std::vector<std::string> snapshot_wanted;
};

class Store {
 public:
  virtual ~Store() = default;

  virtual absl::StatusOr<RecoveredState> Recover() = 0;
  // Returns only once the commit is durable; the hub acknowledges after that.
  // Called from the hub's committer thread only; it may take its time
  // (no RPC waits on it), but nothing else commits meanwhile.
  //
  // A shared store commits only on top of everything this hub has taken
  // from TakeShared(): ABORTED when another hub committed first; the hub
  // then takes and applies those commits and stages its own again. The
  // events of a successful commit come back through TakeShared() too,
  // in their place in the order, and are applied from there.
  virtual absl::Status Commit(const StoreCommit& commit) = 0;

  // Whether other hubs write to this store too (its commits are applied
  // from TakeShared(), not by the committer directly).
  virtual bool shared() const { return false; }
  // A shared store calls wake (from any thread; it must not block) when
  // TakeShared() has something new. Set once, before Recover.
  virtual void SetWake(std::function<void()> wake) { (void)wake; }
  // What is ready to apply, in order; the committer's thread only.
  virtual std::vector<SharedCommit> TakeShared() { return {}; }
  // Which cores are connected where, among hubs sharing a store: the hub
  // names the projects with a core connected to it (every second), and is
  // told, on every change, the projects with a core connected to some other
  // hub (from any thread; it must not block). A hub that dies drops out
  // within seconds.
  virtual void ShareCores(const std::vector<std::string>& projects) { (void)projects; }
  virtual void SetOnRemoteCores(std::function<void(const absl::flat_hash_set<std::string>&)> on_change) {
    (void)on_change;
  }
  // The largest commit the store takes, in bytes of the events' encoding
  // (a message size limit); 0: no limit. The hub splits larger groups.
  virtual size_t max_commit_bytes() const { return 0; }
};

// Keeps nothing: a restart starts a new epoch (--in-memory).
class MemoryStore final : public Store {
 public:
  absl::StatusOr<RecoveredState> Recover() override { return RecoveredState{}; }
  absl::Status Commit(const StoreCommit&) override { return absl::OkStatus(); }
};

}  // namespace nanokit::hub
