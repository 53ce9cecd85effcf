#pragma once
// The one clock of a shard's connections. A timer per connection is a
// pending wait on each of tens of thousands of connections, and a wake-up
// for each; instead, each shard has one timer, which ticks kSlots times a
// period and each time visits one slot's share of the connections: every
// connection is visited once a period (its heartbeat, its write timeout),
// the first time most of a period after it opened, so connections that
// open over time share the work out over the period. Frames that every connection of a round would build alike (the
// heartbeat of a project, say) are built once per round (TickRound).
// Time comes from the injected Clock. On the shard's thread only, but
// Start and Stop.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "ws_gateway/encoded_message.h"

namespace nanokit::gateway {

// What the connections visited by one tick share.
class TickRound {
 public:
  explicit TickRound(absl::Time now) : now_(now) {}
  absl::Time now() const { return now_; }
  // The frame for key, built by build the first time this round asks.
  const OutboundFramePtr& SharedFrame(const void* key, const std::function<OutboundFramePtr()>& build);

 private:
  const absl::Time now_;
  absl::flat_hash_map<const void*, OutboundFramePtr> frames_;
};

class ShardTicker;

// A connection the ticker visits. Its place in the ticker is kept here.
class TickTarget {
 public:
  virtual ~TickTarget() = default;
  virtual void OnTick(TickRound& round) = 0;

 private:
  friend class ShardTicker;
  static constexpr uint32_t kNotAdded = UINT32_MAX;
  uint32_t tick_slot_ = kNotAdded;
  uint32_t tick_index_ = 0;
};

class ShardTicker : public std::enable_shared_from_this<ShardTicker> {
 public:
  // At most this many ticks a period; fewer when the period is short (a
  // tick at least every kMinTick).
  static constexpr size_t kMaxSlots = 50;
  static constexpr absl::Duration kMinTick = absl::Milliseconds(20);

  ShardTicker(boost::asio::io_context& shard, absl::Duration period, const Clock& clock);

  // From any thread.
  void Start();
  void Stop();

  // On the shard's thread. A target is visited once a period, the first
  // time three quarters to a whole period after it is added, until
  // removed; it must be removed before it is destroyed. Adding or removing
  // one during a tick is fine.
  void Add(TickTarget* target);
  void Remove(TickTarget* target);

  size_t size() const { return size_; }
  size_t slot_count() const { return slots_.size(); }

 private:
  void Arm();
  void Tick();

  boost::asio::io_context& shard_;
  const absl::Duration tick_;
  const Clock& clock_;
  boost::asio::steady_timer timer_;
  // Removed targets leave a null, dropped when their slot is next visited,
  // so that a tick's loop never sees its slot move under it.
  std::vector<std::vector<TickTarget*>> slots_;
  size_t visiting_ = 0;     // the slot the next tick visits
  size_t next_spread_ = 0;  // where among the last slots the next target goes
  size_t size_ = 0;
  bool stopped_ = false;
};

}  // namespace nanokit::gateway
