#pragma once
// One project as the gateway sees it: a watch on the hub (resumed with the
// last epoch and seq after every reconnect), a mirror of the project's state
// to answer subscribes with a snapshot, the recent messages to answer resumes,
// and the connections subscribed to it. Each hub event becomes one JSON message
// and each hub batch one frame, shared by every subscriber. A frame is handed
// to each shard once (a ShardFeed); the shard's thread hands it to the
// subscribers living there. Thread-safe.

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>


#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "nanokit/bridge/v1/watch.pb.h"
#include "protocol/backoff.h"
#include "protocol/project_state.h"
#include "protocol/resume_window.h"
#include "ws_gateway/gateway_metrics.h"
#include "ws_gateway/hub_link.h"
#include "ws_gateway/shard_feed.h"
#include "ws_gateway/subscriber.h"

namespace nanokit::gateway {

class HubWatch;

struct FanoutOptions {
  // Messages kept per project for dashboards to resume from.
  size_t resume_history = 10000;
  size_t resume_history_bytes = 64 * 1024 * 1024;
  // A resume that would carry more than this gets a snapshot instead.
  size_t max_resume_bytes = 4 * 1024 * 1024;
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
  // What pacing reads the time from.
  const Clock* clock = &Clock::Real();
};

class ProjectFanout : public std::enable_shared_from_this<ProjectFanout> {
 public:
  // shards: the gateway's io_contexts, indexed as Subscriber::shard().
  // metrics counts resyncs; it must outlive the fanout.
  ProjectFanout(std::string project, HubLink* hub, std::vector<boost::asio::io_context*> shards,
                 FanoutOptions options, GatewayMetrics* metrics);
  ~ProjectFanout();

  const std::string& project() const { return project_; }

  // Starts watching the hub; reconnects until Stop.
  void Start();
  void Stop();

  // The subscriber gets exactly one reply — "resumed" with the messages after
  // (epoch, after_seq) when this fanout still holds all of them, otherwise
  // "snapshot" — then every later message of the project in seq order. Until
  // the hub has sent a first state, the reply waits.
  void Subscribe(std::shared_ptr<Subscriber> subscriber, const std::string& epoch, uint64_t after_seq);
  void Unsubscribe(uint64_t subscriber_id);

  bridge::v1::ProjectLiveness Liveness() const;
  bool hub_connected() const;

  // Called by the current HubWatch.
  void OnHubResponse(HubWatch* watch, const bridge::v1::WatchResponse& response);
  void OnWatchBroken(HubWatch* watch);

 private:
  void StartWatch();
  void ScheduleReconnect(absl::Duration delay);
  void ApplySnapshotLocked(const bridge::v1::ProjectSnapshot& snapshot) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ApplyEventsLocked(const bridge::v1::EventBatch& batch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ApplyLivenessLocked(const bridge::v1::ProjectLiveness& liveness) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  EncodedMessagePtr SnapshotFrameLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  EncodedMessagePtr ReplyFrameLocked(const std::string& epoch, uint64_t after_seq) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  EncodedMessagePtr HeartbeatFrameLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void BroadcastLocked(const EncodedMessagePtr& message) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void BroadcastLocked(const OutboundFramePtr& frame) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void JoinLocked(std::shared_ptr<Subscriber> subscriber, const std::string& epoch, uint64_t after_seq)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bridge::v1::ProjectLiveness LivenessLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string project_;
  HubLink* const hub_;
  const FanoutOptions options_;
  GatewayMetrics* const metrics_;
  // One per shard, fixed; pushed to with mu_ held, so items keep the
  // fanout's order (or after the fanout stopped).
  std::vector<std::shared_ptr<ShardFeed>> feeds_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::steady_timer retry_timer_;  // used on strand_ only

  mutable absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  HubWatch* watch_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool hub_connected_ ABSL_GUARDED_BY(mu_) = false;
  // The watch has delivered something since it started.
  bool watch_healthy_ ABSL_GUARDED_BY(mu_) = false;
  protocol::Backoff backoff_ ABSL_GUARDED_BY(mu_);
  // The next watch asks for a snapshot rather than a resume.
  bool force_snapshot_ ABSL_GUARDED_BY(mu_) = false;

  bool has_state_ ABSL_GUARDED_BY(mu_) = false;
  ProjectState state_ ABSL_GUARDED_BY(mu_);
  bool core_connected_ ABSL_GUARDED_BY(mu_) = false;
  google::protobuf::Timestamp core_changed_at_ ABSL_GUARDED_BY(mu_);
  // The messages of recent events, for resumes.
  protocol::ResumeWindow<EncodedMessagePtr> history_ ABSL_GUARDED_BY(mu_);
  // Built on demand, dropped on every change: a reconnect storm serializes
  // the snapshot once.
  EncodedMessagePtr snapshot_frame_ ABSL_GUARDED_BY(mu_);

  // Who is subscribed (joined or about to); the members themselves are in
  // the feeds.
  absl::flat_hash_map<uint64_t, size_t> subscribers_ ABSL_GUARDED_BY(mu_);  // id -> shard
  // Subscribed before the first state arrived: (subscriber, epoch, after_seq).
  struct Pending {
    std::shared_ptr<Subscriber> subscriber;
    std::string epoch;
    uint64_t after_seq;
  };
  std::vector<Pending> pending_ ABSL_GUARDED_BY(mu_);
};

}  // namespace nanokit::gateway
