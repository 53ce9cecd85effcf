#include "core_client/publish_buffer.h"

#include "protocol/conflation.h"
#include "protocol/resource_key.h"

namespace nanokit::client {

namespace v1 = nanokit::bridge::v1;

namespace {
std::string LogKey(const v1::Event& event) {
  return protocol::ResourceKey(event.project(), event.log_stream().resource_id());
}
}  // namespace

void PublishBuffer::TellDroppedLines(Entry& entry, protocol::DroppedLines& counts) {
  v1::Event& event = entry.event;
  const uint64_t lines = counts.Take(LogKey(event));
  if (lines == 0) return;
  bytes_ -= entry.bytes;
  event.mutable_log_stream()->set_dropped_lines(event.log_stream().dropped_lines() + lines);
  entry.bytes = event.ByteSizeLong();
  bytes_ += entry.bytes;
}

void PublishBuffer::Push(v1::Event event) {
  const size_t size = event.ByteSizeLong();
  entries_.push_back({std::move(event), size});
  bytes_ += size;
  if (entries_.back().event.has_log_stream() && !untold_.empty()) TellDroppedLines(entries_.back(), untold_);
  if (bytes_ > max_bytes_) Shrink();
}

void PublishBuffer::Shrink() {
  const size_t first = sent_;
  std::vector<bool> keep(entries_.size(), true);
  // 1. Conflate the unsent status updates, newest first.
  std::vector<std::string> keys(entries_.size());
  protocol::Conflator conflator;
  for (size_t i = entries_.size(); i-- > first;) {
    const v1::Event& e = entries_[i].event;
    if (!e.has_status_update()) continue;
    keys[i] = protocol::ResourceKey(e.project(), e.status_update().resource_id());
    const auto kind = e.status_update().removed() ? protocol::UpdateKind::kRemoval : protocol::UpdateKind::kLatestWins;
    if (conflator.Superseded(keys[i], kind)) {
      keep[i] = false;
      bytes_ -= entries_[i].bytes;
      ++dropped_;
    }
  }
  // 2. Then the oldest unsent log lines go, counted per resource. Shrink to
  //    three quarters, so this does not run on every push. The newest event
  //    always stays.
  const size_t target = max_bytes_ / 4 * 3;
  protocol::DroppedLines counts;
  for (size_t i = first; i + 1 < entries_.size() && bytes_ > target; ++i) {
    const v1::Event& e = entries_[i].event;
    if (!keep[i] || !e.has_log_stream()) continue;
    counts.AddDroppedMessage(LogKey(e), static_cast<uint64_t>(e.log_stream().lines_size()),
                             e.log_stream().dropped_lines());
    keep[i] = false;
    bytes_ -= entries_[i].bytes;
    ++dropped_;
  }
  std::deque<Entry> kept;
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (!keep[i]) continue;
    // A later unsent log event of the resource tells its dropped lines.
    if (i >= first && entries_[i].event.has_log_stream() && !counts.empty()) TellDroppedLines(entries_[i], counts);
    kept.push_back(std::move(entries_[i]));
  }
  entries_ = std::move(kept);
  untold_.Merge(std::move(counts));
}

size_t PublishBuffer::FillRequest(size_t max_events, size_t max_bytes, v1::PublishRequest* request) {
  size_t taken = 0;
  size_t bytes = 0;
  while (sent_ < entries_.size() && taken < max_events && bytes < max_bytes) {
    const Entry& entry = entries_[sent_++];
    *request->add_events() = entry.event;
    bytes += entry.bytes;
    ++taken;
  }
  return taken;
}

void PublishBuffer::Acknowledge(uint64_t acked) {
  while (!entries_.empty() && entries_.front().event.source_seq() <= acked) {
    bytes_ -= entries_.front().bytes;
    entries_.pop_front();
    if (sent_ > 0) --sent_;
  }
}

std::vector<v1::Event> PublishBuffer::Unacknowledged() const {
  std::vector<v1::Event> events;
  events.reserve(entries_.size());
  for (const Entry& entry : entries_) events.push_back(entry.event);
  return events;
}

}  // namespace nanokit::client
