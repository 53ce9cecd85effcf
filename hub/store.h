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

// What one publish adds, written in one transaction.
struct CommitBatch {
  struct ProjectPart {
    std::string project;
    std::string epoch;
    std::vector<const bridge::v1::Event*> events;  // seq assigned
    // Set every so often: the state at its seq, from which a restart replays.
    const bridge::v1::ProjectSnapshot* snapshot = nullptr;
    // Events at or below this seq may be forgotten (0: none).
    uint64_t forget_upto = 0;
  };
  std::string source;
  uint64_t accepted_source_seq = 0;
  std::vector<ProjectPart> projects;
};

class Store {
 public:
  virtual ~Store() = default;

  virtual absl::StatusOr<RecoveredState> Recover() = 0;
  // Returns only once the batch is durable; the hub acknowledges after that.
  virtual absl::Status Commit(const CommitBatch& batch) = 0;
  // What is committed for one project, to start over from after a failed
  // commit.
  virtual absl::StatusOr<StoredProject> LoadProject(const std::string& name) = 0;
};

// Keeps nothing: a restart starts a new epoch (--in-memory).
class MemoryStore final : public Store {
 public:
  absl::StatusOr<RecoveredState> Recover() override { return RecoveredState{}; }
  absl::Status Commit(const CommitBatch&) override { return absl::OkStatus(); }
  absl::StatusOr<StoredProject> LoadProject(const std::string&) override {
    return absl::UnimplementedError("an in-memory hub keeps nothing to reload");
  }
};

}  // namespace nanokit::hub
