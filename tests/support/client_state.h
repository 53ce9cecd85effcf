#pragma once
// What a dashboard knows: the state it builds by merging the ServerMessages
// it receives, checked for the protocol's promises on the way (one reply per
// subscribe, events in increasing seq order, never a duplicate).

#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "nanokit/bridge/v1/watch.pb.h"
#include "nanokit/bridge/v1/websocket.pb.h"
#include "protocol/project_state.h"

namespace nanokit::testing {

class ClientState {
 public:
  // Applies any ServerMessage. An error means the server broke a promise.
  absl::Status Apply(const bridge::v1::ServerMessage& message);

  bool has(const std::string& project) const { return projects_.count(project) > 0; }
  const ProjectState& project(const std::string& name) const { return projects_.at(name); }
  uint64_t seq(const std::string& name) const { return has(name) ? projects_.at(name).seq() : 0; }
  std::string epoch(const std::string& name) const { return has(name) ? projects_.at(name).epoch() : ""; }
  int snapshots() const { return snapshots_; }
  int resumes() const { return resumes_; }
  int events() const { return events_; }
  int batches() const { return batches_; }

 private:
  absl::Status ApplyEvent(const bridge::v1::ServerMessage& message);
  std::map<std::string, ProjectState> projects_;
  int snapshots_ = 0;
  int resumes_ = 0;
  int events_ = 0;
  int batches_ = 0;
};

// Compares what a client merged with the hub's snapshot, ignoring liveness.
// Empty when equal; otherwise a description of the difference.
std::string DiffSnapshots(const bridge::v1::ProjectSnapshot& expected, const bridge::v1::ProjectSnapshot& actual);

}  // namespace nanokit::testing
