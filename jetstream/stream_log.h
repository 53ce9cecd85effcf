#pragma once
// One JetStream stream used as an append-only log with one order: each
// append names the sequence it expects to follow (Nats-Expected-Last-
// Sequence, checked by every replica as it applies the entry, so two
// writers racing cannot both win) and carries an id that makes its retry
// harmless (Nats-Msg-Id, deduplicated within the stream's window). An
// append returns once a majority of the replicas hold it.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "jetstream/connection.h"

namespace nanokit::jetstream {

struct StreamSettings {
  std::string name;     // e.g. NANOKIT_P0
  std::string subject;  // the one subject the stream holds, e.g. nanokit.p0
  int replicas = 3;
  int64_t max_messages = -1;  // -1: unbounded
  int64_t max_bytes = -1;
  // How long a Msg-Id is remembered: a retry within it is a duplicate.
  absl::Duration duplicate_window = absl::Minutes(2);
};

struct Appended {
  uint64_t seq = 0;
  // The id was already in the stream: seq is where the first append put it.
  bool duplicate = false;
};

struct StoredEntry {
  uint64_t seq = 0;
  std::string msg_id;
  std::string data;
};

struct StreamState {
  uint64_t first_seq = 0;  // 0 with last_seq 0: empty
  uint64_t last_seq = 0;
  uint64_t messages = 0;
  uint64_t bytes = 0;
  // When the stream was created: a stream deleted and made again is another
  // history, with the same name.
  absl::Time created;
  // The server leading the stream's Raft group (for tests and logs).
  std::string leader;
};

class StreamLog {
 public:
  // Creates the stream when it does not exist, else opens it as it is.
  static absl::StatusOr<std::unique_ptr<StreamLog>> Open(Connection* connection, StreamSettings settings);

  // Appends data after expected_last (0: the stream is empty). FAILED_
  // PRECONDITION when another writer appended first; UNAVAILABLE when no
  // answer came in time (no leader yet, a node gone): retry with the same
  // msg_id, which a stream that did take it answers as a duplicate.
  // Without expected_last: wherever the stream is (an entry whose place in
  // the order does not matter).
  absl::StatusOr<Appended> Append(absl::string_view data, const std::string& msg_id,
                                  std::optional<uint64_t> expected_last);
  // NOT_FOUND when the stream does not hold seq (never written, or gone by
  // its limits).
  absl::StatusOr<StoredEntry> Read(uint64_t seq);
  absl::StatusOr<StreamState> State();
  // Deletes the stream and everything in it (tests, and an operator's reset).
  absl::Status Delete();

  const StreamSettings& settings() const { return settings_; }

 private:
  StreamLog(Connection* connection, StreamSettings settings)
      : connection_(connection), settings_(std::move(settings)) {}
  Connection* connection_;
  const StreamSettings settings_;
};

}  // namespace nanokit::jetstream
