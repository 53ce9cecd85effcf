#pragma once
// The hub's core, independent of gRPC: accepts publishes (deduplicating by
// source and source_seq), owns every Project, and ticks heartbeats.

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "hub/project.h"
#include "hub/store.h"
#include "nanokit/bridge/v1/ingest.pb.h"

namespace nanokit::hub {

struct HubOptions {
  ProjectOptions project;
  absl::Duration heartbeat_interval = absl::Seconds(5);
  size_t max_projects = 10000;
  // Sources remembered for deduplication; the least recently seen is
  // forgotten first.
  size_t max_sources = 100000;
};

class Hub {
 public:
  Hub(HubOptions options, std::unique_ptr<Store> store);
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // Restores what the store holds. Call once, before serving.
  absl::Status Recover();
  // Starts and stops the heartbeat ticker.
  void Start();
  void Stop();

  // Accepts the events of one PublishRequest from `source`: validates them,
  // drops those already accepted (a retry), appends the rest to their
  // projects and commits them. Returns the highest source_seq accepted, to
  // acknowledge.
  // Takes the request: its events are moved into the history, not copied.
  absl::StatusOr<uint64_t> Publish(const std::string& source, bridge::v1::PublishRequest request);

  uint64_t AcceptedSourceSeq(const std::string& source) const;

  // nullptr only when the project limit is reached (or the name is invalid).
  absl::StatusOr<std::shared_ptr<Project>> GetOrCreateProject(const std::string& name);
  std::shared_ptr<Project> FindProject(const std::string& name) const;

  // The snapshot of a project; an empty one (current epoch, seq 0) if it
  // does not exist yet.
  absl::StatusOr<bridge::v1::ProjectSnapshot> Snapshot(const std::string& name) const;

  const HubOptions& options() const { return options_; }

 private:
  void TickHeartbeats();
  void RememberSourceLocked(const std::string& source, uint64_t accepted) ABSL_EXCLUSIVE_LOCKS_REQUIRED(publish_mu_);

  const HubOptions options_;
  const std::unique_ptr<Store> store_;
  // Every project created in this run shares this epoch, unless the store
  // recovered the project's own.
  const std::string epoch_;

  mutable absl::Mutex projects_mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Project>> projects_ ABSL_GUARDED_BY(projects_mu_);

  // Serializes publishes so that the duplicate check, seq assignment and
  // commit of one source's batch happen together.
  mutable absl::Mutex publish_mu_;
  struct SourceRecord {
    uint64_t accepted = 0;
    absl::Time last_seen;
  };
  absl::flat_hash_map<std::string, SourceRecord> sources_ ABSL_GUARDED_BY(publish_mu_);

  absl::Mutex ticker_mu_;
  bool stopping_ ABSL_GUARDED_BY(ticker_mu_) = false;
  std::thread ticker_;
};

// 16 random hex digits.
std::string NewEpoch();

}  // namespace nanokit::hub
