#pragma once
// The hub's core, independent of gRPC: accepts publishes (deduplicating by
// source and source_seq), owns every Project, and ticks heartbeats.
//
// Publishes are committed by one committer thread, never by the caller: a
// gRPC reaction hands its request over and returns at once, and is given the
// outcome when the commit is done. The committer takes every request waiting
// at that moment (from all streams) as one group: one store transaction, and
// then the group's events become visible, in order, to watchers and
// snapshots, and each request is acknowledged. So a slow disk delays
// acknowledgements, never another stream's reactions.

#include <cstdint>
#include <functional>
#include <map>
#include <vector>
#include <memory>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "hub/hub_metrics.h"
#include "hub/project.h"
#include "hub/project_directory.h"
#include "hub/store.h"
#include "nanokit/bridge/v1/ingest.pb.h"

namespace nanokit::hub {

struct HubOptions {
  ProjectOptions project;
  absl::Duration heartbeat_interval = absl::Seconds(5);
  // How often project list watchers hear what changed (coalesced).
  absl::Duration project_list_interval = absl::Seconds(1);
  size_t max_projects = 10000;
  // Sources remembered for deduplication; the least recently seen is
  // forgotten first.
  size_t max_sources = 100000;
  // Most requests, and events, in one group commit (more wait for the next).
  size_t max_group_requests = 256;
  size_t max_group_events = 20000;
  // Called from the committer when commits start failing (false) and when
  // one succeeds again (true): what the health service says. Must not block.
  std::function<void(bool writable)> on_store_health;
};

class Hub {
 public:
  Hub(HubOptions options, std::unique_ptr<Store> store);
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // Restores what the store holds. Call once, before serving.
  absl::Status Recover();
  // Starts and stops the heartbeat ticker and the committer. Stop commits
  // what is waiting first; a publish after it is refused.
  void Start();
  void Stop();

  // The outcome of one publish: the highest source_seq accepted (to
  // acknowledge; every event up to it is committed and visible), or why the
  // request was refused whole.
  using PublishDone = std::function<void(absl::StatusOr<uint64_t> accepted)>;

  // Accepts the events of one PublishRequest from `source`: validates them
  // (a bad request is refused whole, with done called before this returns),
  // then queues them for the committer, which drops those already accepted
  // (a retry), gives the rest seqs and commits them. done is called exactly
  // once, from the committer thread, and must not block.
  // Takes the request: its events are moved into the history, not copied.
  void Publish(const std::string& source, bridge::v1::PublishRequest request, PublishDone done);
  // Publish and wait for the outcome, for callers that have a thread to
  // spare (tests, tools). The hub must be started.
  absl::StatusOr<uint64_t> PublishAndWait(const std::string& source, bridge::v1::PublishRequest request);

  uint64_t AcceptedSourceSeq(const std::string& source) const;

  // The project, created if new. An error when the name is invalid or the
  // project limit is reached.
  absl::StatusOr<std::shared_ptr<Project>> GetOrCreateProject(const std::string& name);
  std::shared_ptr<Project> FindProject(const std::string& name) const;

  // The snapshot of a project; an empty one (current epoch, seq 0) if it
  // does not exist yet.
  absl::StatusOr<bridge::v1::ProjectSnapshot> Snapshot(const std::string& name) const;

  // The list of projects (hub/project_directory.h): the sink gets the
  // full list at once, then the changes every project_list_interval.
  void WatchProjects(ProjectListSink* sink);
  void UnwatchProjects(ProjectListSink* sink) { directory_.Unwatch(sink); }
  void ResyncProjects(ProjectListSink* sink) { directory_.Resync(sink); }

  const HubOptions& options() const { return options_; }
  // What it counts; the services count their streams and refusals here too.
  HubMetrics& metrics() { return metrics_; }

 private:
  struct WaitingPublish {
    std::string source;
    bridge::v1::PublishRequest request;
    PublishDone done;
  };
  // Heartbeats every heartbeat_interval, the project list every
  // project_list_interval.
  void RunTicker();
  void UpdateDirectory();
  void RunCommitter();
  // A group's requests as the store will take them.
  struct GroupWork {
    // Each project's new events, in arrival order; projects in name order.
    struct ProjectWork {
      std::shared_ptr<Project> project;
      EventList events;
    };
    std::map<std::string, ProjectWork> projects;
    // Each source as this group leaves it.
    absl::flat_hash_map<std::string, uint64_t> accepted;
    // Per request: the source_seq to acknowledge, or why it was refused.
    std::vector<absl::StatusOr<uint64_t>> outcomes;
    uint64_t duplicates = 0;
    uint64_t staged = 0;
    uint64_t unstaged = 0;
    // What to commit; points into projects' events.
    StoreCommit commit;
  };
  // Drops what was already accepted, stages the rest (seqs from the state
  // as applied so far) and fills work.commit. The events are moved out of
  // the requests, or copied when the group may have to be staged again.
  void StageGroup(std::vector<WaitingPublish>& group, bool copy_events, GroupWork* work);
  // Commits one group and tells each request its outcome.
  void CommitGroup(std::vector<WaitingPublish> group);
  // The same with a store shared by other hubs: staged on top of everything
  // they committed, again whenever one of them committed first.
  void CommitGroupShared(std::vector<WaitingPublish> group);
  // One commit of at most the store's size: the outcome of each request.
  std::vector<absl::StatusOr<uint64_t>> CommitSharedOnce(std::vector<WaitingPublish>& group);
  // Applies what a shared store ordered (other hubs' commits and ours),
  // and writes the snapshots it asks for.
  void ApplyShared(std::vector<SharedCommit> commits);
  // The same without writing: the projects whose snapshots are wanted.
  std::vector<std::string> ApplySharedCommits(std::vector<SharedCommit> commits);
  void WriteSharedSnapshots(std::vector<std::string> names);
  void ResetAll(const std::string& epoch);
  void ApplyRemoteCores(const absl::flat_hash_set<std::string>& projects);
  absl::StatusOr<std::shared_ptr<Project>> GetOrCreateProject(const std::string& name, bool bounded);
  void SetStoreWritable(bool writable);
  void RememberSources(const absl::flat_hash_map<std::string, uint64_t>& accepted);

  const HubOptions options_;
  HubMetrics metrics_;
  mutable absl::Mutex projects_mu_;
  // Every project created in this run shares this epoch, unless the store
  // recovered the project's own (a shared store gives every hub its own).
  std::string epoch_ ABSL_GUARDED_BY(projects_mu_);
  absl::flat_hash_map<std::string, std::shared_ptr<Project>> projects_ ABSL_GUARDED_BY(projects_mu_);

  // The highest source_seq committed per source. Written by the committer.
  mutable absl::Mutex sources_mu_;
  struct SourceRecord {
    uint64_t accepted = 0;
    absl::Time last_seen;
  };
  absl::flat_hash_map<std::string, SourceRecord> sources_ ABSL_GUARDED_BY(sources_mu_);

  // What waits for the committer, in arrival order.
  absl::Mutex queue_mu_;
  std::vector<WaitingPublish> queue_ ABSL_GUARDED_BY(queue_mu_);
  // Whether the last commit succeeded; the committer's own.
  bool store_writable_ = true;
  bool accepting_ ABSL_GUARDED_BY(queue_mu_) = false;
  // A shared store has commits for the committer to apply.
  bool shared_ready_ ABSL_GUARDED_BY(queue_mu_) = false;
  std::thread committer_;

  absl::Mutex ticker_mu_;
  bool stopping_ ABSL_GUARDED_BY(ticker_mu_) = false;
  std::thread ticker_;
  ProjectDirectory directory_;
  // Last, so that it goes first: a shared store's callbacks (wake, remote
  // cores) stop before anything they touch is gone.
  const std::unique_ptr<Store> store_;
};

// 16 random hex digits.
std::string NewEpoch();

}  // namespace nanokit::hub
