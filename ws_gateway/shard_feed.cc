#include "ws_gateway/shard_feed.h"

#include <boost/asio/post.hpp>

namespace nanokit::gateway {

namespace net = boost::asio;

ShardFeed::ShardFeed(net::io_context& shard, const Clock& clock) : shard_(shard), clock_(clock), timer_(shard) {}

void ShardFeed::Push(FeedItem item) {
  bool first;
  {
    absl::MutexLock lock(&mu_);
    first = items_.empty();
    items_.push_back(std::move(item));
  }
  // One drain per shard while items wait, not one handler per frame.
  if (first) net::post(shard_, [self = shared_from_this()] { self->Drain(); });
}

void ShardFeed::Drain() {
  const absl::Time now = clock_.Now();
  if (now < not_before_) {
    timer_.expires_after(absl::ToChronoNanoseconds(not_before_ - now));
    timer_.async_wait([self = shared_from_this()](boost::system::error_code) { self->Deliver(); });
    return;
  }
  Deliver();
}

void ShardFeed::Deliver() {
  const absl::Time start = clock_.Now();
  std::vector<FeedItem> items;
  {
    absl::MutexLock lock(&mu_);
    items.swap(items_);
  }
  // Consecutive frames go to every member in one call: a connection writes
  // them as one WebSocket frame. Several are merged (and conflated) once here, for
  // the whole shard.
  std::vector<OutboundFramePtr> run;
  auto deliver_run = [&] {
    if (run.empty()) return;
    if (run.size() > 1) {
      std::vector<EncodedMessagePtr> messages;
      for (const OutboundFramePtr& frame : run) messages.insert(messages.end(), frame->messages.begin(), frame->messages.end());
      Conflate(messages);
      run = PackFrames(messages);
    }
    for (const auto& member : members_) member->Deliver(run);
    run.clear();
  };
  for (FeedItem& item : items) {
    if (auto* frame = std::get_if<FeedChunk>(&item)) {
      run.push_back(std::move(frame->frame));
      continue;
    }
    deliver_run();
    if (auto* join = std::get_if<FeedJoin>(&item)) {
      Join(std::move(*join));
    } else if (auto* leave = std::get_if<FeedLeave>(&item)) {
      Leave(leave->subscriber_id);
    } else {
      members_.clear();
      member_index_.clear();
    }
  }
  deliver_run();
  // Paced only when busy: if nothing arrived while this round was written,
  // the next arrival leaves at once, however long the round took.
  bool arrived;
  {
    absl::MutexLock lock(&mu_);
    arrived = !items_.empty();
  }
  const absl::Time end = clock_.Now();
  not_before_ = arrived ? Pacer::NotBefore(start, end) : end;
}

void ShardFeed::Join(FeedJoin join) {
  auto [it, inserted] = member_index_.try_emplace(join.subscriber->id(), members_.size());
  if (inserted) {
    members_.push_back(join.subscriber);
  } else {
    members_[it->second] = join.subscriber;  // subscribed again: a new reply
  }
  join.subscriber->Deliver({std::move(join.reply)});
}

void ShardFeed::Leave(uint64_t subscriber_id) {
  auto it = member_index_.find(subscriber_id);
  if (it == member_index_.end()) return;
  const size_t index = it->second;
  member_index_.erase(it);
  if (index + 1 != members_.size()) {
    members_[index] = std::move(members_.back());
    member_index_[members_[index]->id()] = index;
  }
  members_.pop_back();
}

}  // namespace nanokit::gateway
