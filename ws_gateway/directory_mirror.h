#pragma once
// The gateway's copy of the hub's list of projects (WatchService.
// WatchProjects), for the dashboards that sent "watch_projects". One stream
// to the hub for the whole gateway, opened when the first dashboard
// follows, resumed with backoff when it breaks (the hub's first answer is a
// full list, which replaces what followers knew). Each list from the hub is
// handed to every follower on its own shard, where the connection keeps
// only what its grant may see. Thread-safe.

#include <cstdint>
#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "nanokit/bridge/v1/watch.pb.h"
#include "protocol/backoff.h"
#include "ws_gateway/hub_link.h"
#include "ws_gateway/project_fanout.h"

namespace nanokit::gateway {

// A dashboard connection following the list.
class ProjectListFollower {
 public:
  virtual ~ProjectListFollower() = default;
  virtual uint64_t id() const = 0;
  // The shard OnProjectList is called on.
  virtual size_t shard() const = 0;
  // On the follower's shard thread, in order; a full list replaces what
  // came before. Everything the hub lists, unfiltered. Must not block.
  virtual void OnProjectList(std::shared_ptr<const bridge::v1::ProjectList> list) = 0;
};

class HubProjectListWatch;

class DirectoryMirror : public std::enable_shared_from_this<DirectoryMirror> {
 public:
  // shards: the gateway's io_contexts, indexed as ProjectListFollower::shard().
  DirectoryMirror(HubLink* hub, std::vector<boost::asio::io_context*> shards, FanoutOptions options);

  // The follower gets the full list (once the hub has sent one), then every
  // change.
  void Follow(std::shared_ptr<ProjectListFollower> follower);
  void Unfollow(uint64_t follower_id);
  // The follower gets the full list again: its access changed.
  void Resync(uint64_t follower_id);
  void Stop();

  // Called by the current HubProjectListWatch.
  void OnHubList(HubProjectListWatch* watch, const bridge::v1::ProjectList& list);
  void OnWatchBroken(HubProjectListWatch* watch);

 private:
  void StartWatch();
  void ScheduleReconnect(absl::Duration delay);
  std::shared_ptr<const bridge::v1::ProjectList> FullListLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SendLocked(const std::shared_ptr<ProjectListFollower>& follower,
                  std::shared_ptr<const bridge::v1::ProjectList> list) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  HubLink* const hub_;
  const std::vector<boost::asio::io_context*> shards_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::steady_timer retry_timer_;  // used on strand_ only

  mutable absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  HubProjectListWatch* watch_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool watch_healthy_ ABSL_GUARDED_BY(mu_) = false;
  protocol::Backoff backoff_ ABSL_GUARDED_BY(mu_);
  bool has_list_ ABSL_GUARDED_BY(mu_) = false;
  absl::btree_map<std::string, bridge::v1::ProjectSummary> listed_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, std::weak_ptr<ProjectListFollower>> followers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace nanokit::gateway
