#pragma once
// Where the hub keeps what it has accepted. The hub folds events into memory
// and hands every accepted batch to a Store before acknowledging it, so a
// durable implementation can make "acknowledged" mean "committed", and give
// back on start what a previous run committed.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nanokit/bridge/v1/events.pb.h"

namespace nanokit::hub {

// What a store gives back on start.
struct RecoveredState {
  // Per project: its epoch and its events in seq order.
  struct ProjectHistory {
    std::string epoch;
    std::vector<bridge::v1::Event> events;
  };
  absl::flat_hash_map<std::string, ProjectHistory> projects;
  // Per source: the highest source_seq accepted.
  absl::flat_hash_map<std::string, uint64_t> accepted_source_seq;
};

class Store {
 public:
  virtual ~Store() = default;

  virtual absl::StatusOr<RecoveredState> Recover() = 0;

  // Makes one accepted batch durable: the events (seq assigned; no-ops and
  // duplicates already dropped) and the source's new accepted source_seq.
  // Returns only when it is durable; the hub acknowledges after that.
  virtual absl::Status Commit(const std::string& source, uint64_t accepted_source_seq,
                              const std::vector<const bridge::v1::Event*>& events) = 0;
};

// Keeps nothing: a restart starts a new epoch (--in-memory).
class MemoryStore final : public Store {
 public:
  absl::StatusOr<RecoveredState> Recover() override { return RecoveredState{}; }
  absl::Status Commit(const std::string&, uint64_t, const std::vector<const bridge::v1::Event*>&) override {
    return absl::OkStatus();
  }
};

}  // namespace nanokit::hub
