#include "ws_gateway/shard_ticker.h"

#include <algorithm>

#include <boost/asio/post.hpp>

namespace nanokit::gateway {

namespace net = boost::asio;

const OutboundFramePtr& TickRound::SharedFrame(const void* key, const std::function<OutboundFramePtr()>& build) {
  auto [it, inserted] = frames_.try_emplace(key);
  if (inserted) it->second = build();
  return it->second;
}

namespace {

absl::Duration TickOf(absl::Duration period) { return std::max(period / ShardTicker::kMaxSlots, ShardTicker::kMinTick); }

size_t SlotsOf(absl::Duration period) {
  absl::Duration remainder;
  const int64_t slots = absl::IDivDuration(period, TickOf(period), &remainder);
  return static_cast<size_t>(std::clamp<int64_t>(slots, 1, ShardTicker::kMaxSlots));
}

}  // namespace

ShardTicker::ShardTicker(net::io_context& shard, absl::Duration period, const Clock& clock)
    : shard_(shard), tick_(TickOf(period)), clock_(clock), timer_(shard), slots_(SlotsOf(period)) {}

void ShardTicker::Start() {
  net::post(shard_, [self = shared_from_this()] { self->Arm(); });
}

void ShardTicker::Stop() {
  net::post(shard_, [self = shared_from_this()] {
    self->stopped_ = true;
    self->timer_.cancel();
  });
}

void ShardTicker::Add(TickTarget* target) {
  if (target->tick_slot_ != TickTarget::kNotAdded) return;
  // One of the last quarter of the slots visited (in turn): the first visit
  // is three quarters to a whole period away, as a timer of the target's
  // own would be about — a new dashboard's first heartbeat does not come
  // before its subscribe's reply —, and targets added together (a
  // reconnect storm) are spread over a quarter of the period, those added
  // over time over all of it.
  const size_t back = next_spread_++ % std::max<size_t>(1, slots_.size() / 4);
  const size_t slot = (visiting_ + 2 * slots_.size() - 1 - back) % slots_.size();
  target->tick_slot_ = static_cast<uint32_t>(slot);
  target->tick_index_ = static_cast<uint32_t>(slots_[slot].size());
  slots_[slot].push_back(target);
  ++size_;
}

void ShardTicker::Remove(TickTarget* target) {
  if (target->tick_slot_ == TickTarget::kNotAdded) return;
  slots_[target->tick_slot_][target->tick_index_] = nullptr;
  target->tick_slot_ = TickTarget::kNotAdded;
  --size_;
}

void ShardTicker::Arm() {
  if (stopped_) return;
  timer_.expires_after(absl::ToChronoNanoseconds(tick_));
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || self->stopped_) return;
    self->Tick();
    self->Arm();
  });
}

void ShardTicker::Tick() {
  const size_t slot = visiting_;
  visiting_ = (visiting_ + 1) % slots_.size();
  TickRound round(clock_.Now());
  // By index: a visit may add targets (to this slot, at its end, visited
  // next period) or remove them (leaving nulls).
  std::vector<TickTarget*>& targets = slots_[slot];
  const size_t count = targets.size();
  for (size_t i = 0; i < count; ++i) {
    if (TickTarget* target = targets[i]) target->OnTick(round);
  }
  // Drop the nulls; the targets that move learn their new place.
  size_t kept = 0;
  for (size_t i = 0; i < targets.size(); ++i) {
    TickTarget* target = targets[i];
    if (target == nullptr) continue;
    target->tick_index_ = static_cast<uint32_t>(kept);
    targets[kept++] = target;
  }
  targets.resize(kept);
  if (targets.capacity() > 2 * kept + 16) targets.shrink_to_fit();
}

}  // namespace nanokit::gateway
