#pragma once
// The materialized state of one project: every resource's latest status, the
// last lines of its output, and the current or last reconcile. The hub folds
// events into it; the gateway keeps a mirror of it to answer subscribes; a
// client that merges what it receives ends with the same state.
// Not thread-safe: the owner serializes access.

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/strings/string_view.h"
#include "nanokit/bridge/v1/events.pb.h"
#include "nanokit/bridge/v1/watch.pb.h"

namespace nanokit {

class ProjectState {
 public:
  static constexpr size_t kDefaultLogLinesPerResource = 200;

  ProjectState(std::string project, std::string epoch,
               size_t log_lines_per_resource = kDefaultLogLinesPerResource);
  // The state a snapshot describes (core liveness is not part of it).
  static ProjectState FromSnapshot(const bridge::v1::ProjectSnapshot& snapshot,
                                   size_t log_lines_per_resource = kDefaultLogLinesPerResource);

  // False for an event that would change nothing: a status update that
  // repeats the current status, kind and message; removing an absent
  // resource; an empty log_stream.
  bool Changes(const bridge::v1::Event& event) const;

  // What Apply of each event in turn would do, without doing it: drops the
  // events that would change nothing (judged against the state as the
  // earlier events of the list leave it) and gives the rest seqs from
  // seq() + 1 on. The hub stages a batch, commits it, then applies it, so
  // nothing is seen before it is committed.
  void Stage(google::protobuf::RepeatedPtrField<bridge::v1::Event>& events) const;

  // Folds in an event whose seq the hub has assigned; seq() becomes its seq.
  void Apply(const bridge::v1::Event& event);

  bridge::v1::ProjectSnapshot ToSnapshot() const;

  // The state digest heartbeats carry (protocol/state_digest.h), computed
  // once per change.
  const std::string& Digest() const;

  const std::string& project() const { return project_; }
  const std::string& epoch() const { return epoch_; }
  uint64_t seq() const { return seq_; }
  size_t resource_count() const { return resources_.size(); }
  // nullptr when absent. Its recent_logs are empty; see RecentLogs().
  const bridge::v1::ResourceState* Find(const std::string& resource_id) const;

 private:
  // What decides whether a status update changes a resource.
  // Views into the state or into the events being staged: Stage runs on
  // the ingest path, once per event, and copies nothing.
  struct Fields {
    bool exists = false;
    bridge::v1::Status status = bridge::v1::UNKNOWN;
    absl::string_view message;
    absl::string_view kind;
  };
  Fields FieldsOf(absl::string_view resource_id) const;
  static bool StatusChanges(const Fields& current, const bridge::v1::StatusUpdate& update);

  struct Resource {
    bridge::v1::ResourceState state;  // recent_logs kept apart, below
    std::deque<bridge::v1::LogLine> logs;
  };

  std::string project_;
  std::string epoch_;
  size_t log_lines_per_resource_;
  uint64_t seq_ = 0;
  // Sorted, so snapshots are too; a B-tree for fewer cache misses per lookup.
  absl::btree_map<std::string, Resource> resources_;
  bridge::v1::ReconcileState reconcile_;
  // Digest() of the current state; empty when a change made it stale.
  mutable std::string digest_;
};

}  // namespace nanokit
