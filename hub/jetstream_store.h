#pragma once
// The replicated Store (--nats): the history of every project in one
// JetStream stream that several hubs share.
//
// The stream is the history. Every hub follows it from the start (an ordered
// consumer, jetstream/stream_tail.h) and applies every entry in the stream's
// order, its own included; it appends a commit only on top of the last entry
// it has taken (Nats-Expected-Last-Sequence), so when two hubs race, one
// wins and the other takes the winner's entry, stages its events again on
// top of it and retries. An append is acknowledged once a majority of the
// stream's replicas hold it: that is "committed".
//
// Entries are bridge.v1.StoreEntry (proto/nanokit/bridge/v1/store.proto):
// commits, and now and then a project's state in full, from which a hub
// started after the stream dropped the oldest entries (its limits) restores
// the project. The stream's creation time is the epoch: a stream deleted and
// made again is a new history, and every hub starts over in it.
//
// One stream, not one per project: each replicated stream is a Raft group
// of its own (BENCHMARKS.md, "JetStream groundwork": ~1.6 MiB and idle CPU
// per stream), and one stream with batched entries already carries more
// than 100,000 events/s on this machine.

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "hub/store.h"
#include "jetstream/broadcast.h"
#include "jetstream/connection.h"
#include "jetstream/stream_log.h"
#include "jetstream/stream_tail.h"

struct ZSTD_CCtx_s;
struct ZSTD_DCtx_s;
typedef struct ZSTD_CCtx_s ZSTD_CCtx;
typedef struct ZSTD_DCtx_s ZSTD_DCtx;

namespace nanokit::hub {

struct JetStreamStoreOptions {
  jetstream::ConnectionOptions connection;
  jetstream::StreamSettings stream;
  // This hub, in entries and logs; unique among the hubs (with a counter,
  // the Msg-Id that makes an append's retry harmless).
  std::string writer;
  // How long an append is retried through an election before the commit
  // fails (and the publishers resend).
  absl::Duration append_deadline = absl::Seconds(30);
  // How long a hub that lost a race waits for the winning entry to arrive
  // before it stages its own again.
  absl::Duration catch_up_timeout = absl::Seconds(10);
  // Events per project a hub keeps for resuming watchers (the hub's
  // history_events): at start, older ones a snapshot covers are not kept.
  uint64_t history_events = 100000;
  // How often the stream's identity is checked (deleted, made again).
  absl::Duration watch_interval = absl::Seconds(1);
  // Entries delivered and not yet taken by the hub's committer, at most
  // about this many bytes (one entry more at most): past it the consumer
  // is stopped, and started again from the first entry not taken once the
  // committer has taken half of them. So a hub that falls behind, or reads
  // a long stream at start, holds a bounded amount.
  size_t max_fetched_bytes = 64 << 20;
};

// The stream's epoch: its creation time, in 16 hex digits.
std::string StreamEpoch(absl::Time created);

class JetStreamStore final : public Store {
 public:
  // Connects and opens (or creates) the stream; nothing is read yet.
  static absl::StatusOr<std::unique_ptr<JetStreamStore>> Open(JetStreamStoreOptions options);
  ~JetStreamStore() override;

  absl::StatusOr<RecoveredState> Recover() override;
  absl::Status Commit(const StoreCommit& commit) override;
  bool shared() const override { return true; }
  void SetWake(std::function<void()> wake) override { wake_ = std::move(wake); }
  std::vector<SharedCommit> TakeShared() override;
  size_t max_commit_bytes() const override { return max_entry_bytes_; }
  // Bytes of entries delivered that the committer has not taken yet.
  size_t fetched_bytes() const;
  // Over plain NATS on nanokit.<stream>.cores: "writer\nproject\n...".
  void ShareCores(const std::vector<std::string>& projects) override;
  void SetOnRemoteCores(std::function<void(const absl::flat_hash_set<std::string>&)> on_change) override {
    on_remote_cores_ = std::move(on_change);
  }

 private:
  // What the consumer delivered and the committer has not taken yet; a
  // reset stands where the history started over.
  struct Fetched {
    uint64_t seq = 0;
    std::string data;
    std::string new_epoch;  // set: a reset
  };

  JetStreamStore(JetStreamStoreOptions options, std::unique_ptr<jetstream::Connection> connection,
                 std::unique_ptr<jetstream::StreamLog> log);
  absl::Status StartTail(uint64_t from_seq);
  void OnEntry(uint64_t seq, std::string data);
  // Waits until the consumer has delivered seq (or a reset came, or the
  // consumer is paused: what was fetched must be taken first); false when
  // seq has not been delivered.
  bool AwaitFetched(uint64_t seq, absl::Duration timeout);
  void PushFetched(Fetched fetched) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // While paused: stops the consumer, and once the committer has taken
  // half of what was fetched, follows the stream again from the first
  // entry not delivered. On the thread that owns tail_.
  void PauseOrResumeTail();
  // Adds what one TakeShared gave to the state Recover returns.
  void AddRecovered(std::vector<SharedCommit> commits, RecoveredState& recovered);
  // Appends with retries through elections; FAILED_PRECONDITION as is.
  absl::StatusOr<jetstream::Appended> AppendRetrying(const std::string& data, std::optional<uint64_t> expected);
  // Appends right after the last entry this hub knows of; ABORTED when
  // another hub was first (after waiting for its entry to arrive).
  absl::Status AppendOrdered(std::string data);
  absl::Status AppendSnapshot(const bridge::v1::ProjectSnapshot& snapshot);
  // Projects to write in full again before the stream's limits drop what
  // restores them.
  std::vector<std::string> SnapshotsWanted();
  void UpdateKeeps(const jetstream::StreamState& state);
  // Decodes one entry; nullopt for one from another history or unreadable,
  // or a snapshot part that does not complete a snapshot yet.
  std::optional<SharedCommit> Decode(uint64_t seq, const std::string& data);
  void RunWatcher();
  void OnCores(const std::string& message);
  // Drops hubs not heard from lately; tells the hub if that changed anything.
  void ExpireRemoteCores();
  // Tells the hub the union of remote_cores_ if it changed.
  void TellRemoteCores();
  // The stream is another one than the history we follow: start over.
  void Restart(absl::Time created);
  std::string NextMsgId();
  // zstd, with contexts kept for the committer's thread (the only caller).
  std::string Compress(const std::string& data);
  absl::StatusOr<std::string> Decompress(const std::string& data);
  struct ZstdDeleter {
    void operator()(ZSTD_CCtx* context) const;
    void operator()(ZSTD_DCtx* context) const;
  };
  std::unique_ptr<ZSTD_CCtx, ZstdDeleter> compressor_;
  std::unique_ptr<ZSTD_DCtx, ZstdDeleter> decompressor_;

  const JetStreamStoreOptions options_;
  const std::unique_ptr<jetstream::Connection> connection_;
  const std::unique_ptr<jetstream::StreamLog> log_;
  // The largest entry the servers take, less room for headers.
  const size_t max_entry_bytes_;
  std::function<void()> wake_;
  std::function<void(const absl::flat_hash_set<std::string>&)> on_remote_cores_;

  mutable absl::Mutex mu_;
  std::string epoch_ ABSL_GUARDED_BY(mu_);
  absl::Time created_ ABSL_GUARDED_BY(mu_);
  // Counts restarts, so a commit that spans one fails rather than being
  // acknowledged into a history that is gone.
  uint64_t restarts_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<Fetched> fetched_ ABSL_GUARDED_BY(mu_);
  size_t fetched_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  // Set when fetched_ was full: entries delivered meanwhile are dropped
  // (not marked delivered) until the consumer is started again after them.
  bool paused_ ABSL_GUARDED_BY(mu_) = false;
  // Whether tail_ is running (the watcher stops it once paused).
  bool tailing_ ABSL_GUARDED_BY(mu_) = false;
  // The highest seq the consumer delivered in the current history.
  uint64_t delivered_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // About how many entries the stream keeps at its limits, if this hub is
  // the one that keeps quiet projects' snapshots fresh; else 0.
  uint64_t keeps_ ABSL_GUARDED_BY(mu_) = 0;
  // Other hubs' projects with a core connected, as they last said.
  struct RemoteCores {
    absl::flat_hash_set<std::string> projects;
    absl::Time heard;
  };
  absl::flat_hash_map<std::string, RemoteCores> remote_cores_ ABSL_GUARDED_BY(mu_);
  absl::Mutex tell_mu_;
  absl::flat_hash_set<std::string> told_ ABSL_GUARDED_BY(tell_mu_);

  // The committer's own: the last entry taken, and the epoch it belongs to.
  uint64_t taken_ = 0;
  std::string taken_epoch_;
  // Where this hub's next entry goes: after the last one taken, or after
  // its own last one (queued, not taken yet).
  uint64_t position_ = 0;
  // Per project, the entry a hub starting now would restore it from: its
  // last complete snapshot's first part, or its first events.
  absl::flat_hash_map<std::string, uint64_t> needed_from_;
  absl::flat_hash_map<std::string, uint64_t> partial_started_;
  struct Asked {
    uint64_t needed_from = 0;
    absl::Time at;
  };
  absl::flat_hash_map<std::string, Asked> snapshot_asked_;
  uint64_t last_risk_check_ = 0;  // taken_ then
  uint64_t msg_counter_ = 0;
  // Parts of snapshots being put together, per project.
  absl::flat_hash_map<std::string, bridge::v1::ProjectSnapshot> partial_snapshots_;

  // Replaced only by the watcher thread (and Recover, before it runs).
  std::unique_ptr<jetstream::StreamTail> tail_;
  std::unique_ptr<jetstream::Broadcast> cores_;
  std::thread watcher_;
};

}  // namespace nanokit::hub
