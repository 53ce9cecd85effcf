#pragma once
// The core's in-process event emitter (the seed's ActivityManager): typed
// calls for the four event types, the current status of each resource, and
// listeners that receive every event that changes something. Thread-safe.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "nanokit/bridge/v1/events.pb.h"

namespace nanokit::client {

class ActivityManager {
 public:
  // Receives each event (project, emitted_at and payload set). Called in
  // emission order with the manager's lock held: it must return quickly and
  // must not call back into the manager.
  using Listener = std::function<void(const bridge::v1::Event&)>;

  explicit ActivityManager(std::string project);

  const std::string& project() const { return project_; }

  int AddListener(Listener listener);
  void RemoveListener(int id);

  // Returns false, and emits nothing, when the resource already has this
  // status, message and kind.
  bool SetStatus(const std::string& resource_id, bridge::v1::Status status, const std::string& message = "",
                 const std::string& kind = "service");
  // The resource is gone. False if it was not known.
  bool RemoveResource(const std::string& resource_id);
  void AppendLogs(const std::string& resource_id, std::vector<std::string> lines,
                  bridge::v1::LogStream::Stream stream = bridge::v1::LogStream::STDOUT);
  void BeginReconcile(const std::string& reconcile_id, const std::vector<bridge::v1::PlannedAction>& actions);
  void EndReconcile(const std::string& reconcile_id, bridge::v1::ReconcileEnd::Outcome outcome,
                    const std::string& message = "");

  std::optional<bridge::v1::Status> StatusOf(const std::string& resource_id) const;

 private:
  struct Known {
    bridge::v1::Status status;
    std::string message;
    std::string kind;
  };
  void EmitLocked(bridge::v1::Event& event) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string project_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Known> resources_ ABSL_GUARDED_BY(mu_);
  std::vector<std::pair<int, Listener>> listeners_ ABSL_GUARDED_BY(mu_);
  int next_listener_id_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace nanokit::client
