#pragma once
// What a HubPublisher holds for the hub: every published event until the
// hub acknowledges it, in source_seq order, and how far the current stream
// has sent them. Bounded: past max_bytes, what the current stream has not
// sent yet is shrunk — status updates conflated (protocol/conflation.h: the
// newest of each resource survives, a removal always does), then the oldest
// log lines dropped and counted (protocol/dropped_lines.h), reported in the next
// log_stream of their resource.
// Pure and not thread-safe: the publisher guards it with its lock.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "nanokit/bridge/v1/events.pb.h"
#include "nanokit/bridge/v1/ingest.pb.h"
#include "protocol/dropped_lines.h"

namespace nanokit::client {

class PublishBuffer {
 public:
  explicit PublishBuffer(size_t max_bytes) : max_bytes_(max_bytes) {}

  // An event with source and source_seq set, above every one before it.
  void Push(bridge::v1::Event event);

  // Appends the next unsent events to request — at most max_events, and
  // none after max_bytes is reached — and counts them as sent. Returns how
  // many it appended.
  size_t FillRequest(size_t max_events, size_t max_bytes, bridge::v1::PublishRequest* request);

  // The hub holds every event up to source_seq `acked`: they are forgotten.
  void Acknowledge(uint64_t acked);

  // A new stream: everything not acknowledged is unsent again.
  void Rewind() { sent_ = 0; }

  bool has_unsent() const { return sent_ < entries_.size(); }
  size_t size() const { return entries_.size(); }
  size_t bytes() const { return bytes_; }
  // Events left out by shrinking: superseded statuses and dropped log events.
  uint64_t dropped() const { return dropped_; }
  // In source_seq order (for tests and diagnostics).
  std::vector<bridge::v1::Event> Unacknowledged() const;

 private:
  struct Entry {
    bridge::v1::Event event;
    size_t bytes;  // event.ByteSizeLong(), computed once
  };
  void Shrink();
  // Adds the lines counted for its resource to a log_stream event.
  void TellDroppedLines(Entry& entry, protocol::DroppedLines& counts);

  const size_t max_bytes_;
  std::deque<Entry> entries_;
  // entries_[0, sent_) went out on the current stream: those stay as sent.
  size_t sent_ = 0;
  size_t bytes_ = 0;
  uint64_t dropped_ = 0;
  // Dropped lines of resources none of whose later log events is buffered
  // yet: reported by the next one pushed.
  protocol::DroppedLines untold_;
};

}  // namespace nanokit::client
