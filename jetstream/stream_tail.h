#pragma once
// Every entry of a stream from a position on, in the stream's order, as it
// is appended: a JetStream ordered consumer (ephemeral, no acks; the client
// makes it again from the last entry it delivered when it sees a gap, a
// missed heartbeat or a reconnect). The entries arrive on the NATS client's
// own thread for this subscription, one at a time.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "jetstream/connection.h"
#include "jetstream/stream_log.h"

namespace nanokit::jetstream {

class StreamTail {
 public:
  // seq: the entry's position in the stream; data: its payload.
  using OnEntry = std::function<void(uint64_t seq, std::string data)>;

  // Delivers from from_seq on (from the first entry the stream still holds
  // if it no longer holds from_seq). on_entry must not block for long.
  static absl::StatusOr<std::unique_ptr<StreamTail>> Start(Connection* connection, const StreamSettings& settings,
                                                           uint64_t from_seq, OnEntry on_entry);
  // Stops the consumer; on_entry is not running and is not called again
  // once this returns.
  ~StreamTail();
  StreamTail(const StreamTail&) = delete;
  StreamTail& operator=(const StreamTail&) = delete;

 private:
  explicit StreamTail(OnEntry on_entry) : on_entry_(std::move(on_entry)) {}
  static void OnMessage(natsConnection* nc, natsSubscription* sub, natsMsg* msg, void* closure);
  static void OnComplete(void* closure);

  const OnEntry on_entry_;
  natsSubscription* subscription_ = nullptr;
  absl::Mutex mu_;
  bool complete_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace nanokit::jetstream
