#pragma once
// Where the hub keeps what it has accepted. The hub folds events into memory
// and hands every accepted batch to a Store before acknowledging it, so a
// durable implementation makes "acknowledged" mean "committed", and gives
// back on start what a previous run committed.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
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

class Store {
 public:
  virtual ~Store() = default;

  virtual absl::StatusOr<RecoveredState> Recover() = 0;
  // Returns only once the commit is durable; the hub acknowledges after that.
  // Called from the hub's committer thread only; it may take its time
  // (no RPC waits on it), but nothing else commits meanwhile.
  virtual absl::Status Commit(const StoreCommit& commit) = 0;
};

// Keeps nothing: a restart starts a new epoch (--in-memory).
class MemoryStore final : public Store {
 public:
  absl::StatusOr<RecoveredState> Recover() override { return RecoveredState{}; }
  absl::Status Commit(const StoreCommit&) override { return absl::OkStatus(); }
};

}  // namespace nanokit::hub
