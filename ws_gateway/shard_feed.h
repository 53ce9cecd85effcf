#pragma once
// What one project fanout hands one shard's thread, in the order it
// happened: frames for every subscriber living on that shard, and
// subscribers joining (with their reply) or leaving. Joins travel with the
// frames, so a subscriber gets exactly the frames after its reply. The
// fanout pushes from any thread (under its own lock, which orders the
// items); one drain per shard runs on the shard's thread while items wait.
//
// Pacing: a delivery that took long while more arrived means the shard is
// loaded; the next one then waits twice as long (at most 20 ms), so that
// each connection's write carries more events. Below 1 ms, or when nothing
// arrived meanwhile, every batch leaves at once. Time is read from the
// injected Clock.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <variant>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "ws_gateway/encoded_message.h"
#include "ws_gateway/subscriber.h"

namespace nanokit::gateway {

struct FeedChunk {
  OutboundFramePtr frame;
};
struct FeedJoin {
  std::shared_ptr<Subscriber> subscriber;
  OutboundFramePtr reply;  // snapshot or resumed
};
struct FeedLeave {
  uint64_t subscriber_id;
};
// The fanout stopped: every member leaves, what waits is dropped.
struct FeedLeaveAll {};
using FeedItem = std::variant<FeedChunk, FeedJoin, FeedLeave, FeedLeaveAll>;

// When a shard delivers next, from how long its last delivery took.
class Pacer {
 public:
  static constexpr absl::Duration kPaceAbove = absl::Milliseconds(1);
  static constexpr int kFactor = 2;
  static constexpr absl::Duration kMaxDelay = absl::Milliseconds(20);

  // A delivery ran from start to end: the next may start at the result.
  static absl::Time NotBefore(absl::Time start, absl::Time end) {
    const absl::Duration took = end - start;
    return took < kPaceAbove ? end : end + std::min(kFactor * took, kMaxDelay);
  }
};

class ShardFeed : public std::enable_shared_from_this<ShardFeed> {
 public:
  ShardFeed(boost::asio::io_context& shard, const Clock& clock);

  // From any thread; items keep the order of the calls.
  void Push(FeedItem item);

  // On the shard's thread only.
  size_t member_count() const { return members_.size(); }

 private:
  void Drain();
  void Deliver();
  void Join(FeedJoin join);
  void Leave(uint64_t subscriber_id);

  boost::asio::io_context& shard_;
  const Clock& clock_;
  absl::Mutex mu_;
  std::vector<FeedItem> items_ ABSL_GUARDED_BY(mu_);
  // On the shard's thread only.
  std::vector<std::shared_ptr<Subscriber>> members_;
  absl::flat_hash_map<uint64_t, size_t> member_index_;
  absl::Time not_before_ = absl::InfinitePast();
  boost::asio::steady_timer timer_;
};

}  // namespace nanokit::gateway
