#pragma once
// What waits for one connection's socket: frames shared with every other
// connection, in order, with the queue's own counts of messages, bytes and
// log bytes. It carries the slow-consumer policy, kept free of sockets so
// it can be tested alone:
//  - a backlog that grows is compacted: conflated (protocol/conflation.h)
//    and, past the log bound, its oldest log lines dropped down to half the
//    bound, counted per resource and reported in the next log_stream of that
//    resource (protocol/dropped_lines.h);
//  - past the byte or message bound, even compacted, the connection is a
//    slow consumer (Push says so); one message alone, however large, is not
//    a backlog.
// A connection that keeps up pays one pointer per frame. Not thread-safe:
// one shard's thread owns it.

#include <cstddef>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/types/span.h"
#include "protocol/dropped_lines.h"
#include "ws_gateway/encoded_message.h"
#include "ws_gateway/frame_queue.h"

namespace nanokit::gateway {

struct OutboundLimits {
  size_t max_bytes = 16 * 1024 * 1024;
  size_t max_messages = 100000;
  size_t max_log_bytes = 1024 * 1024;
};

// The frames of one write: usually one, kept inline (no allocation).
using WriteBatch = absl::InlinedVector<OutboundFramePtr, 1>;

class OutboundQueue {
 public:
  explicit OutboundQueue(OutboundLimits limits);

  // Appends frames; false when the connection is now a slow consumer (the
  // caller closes it; what waits is kept until Clear).
  [[nodiscard]] bool Push(absl::Span<const OutboundFramePtr> frames);

  // The next write, oldest first: whole frames up to kMaxFrameMessages
  // messages (at least one frame), with the dropped lines counted in them. Empty when
  // nothing waits.
  WriteBatch TakeWrite();

  void Clear();

  bool empty() const { return frames_.empty(); }
  size_t messages() const { return messages_; }
  size_t bytes() const { return bytes_; }
  size_t log_bytes() const { return log_bytes_; }

 private:
  void Append(OutboundFramePtr frame);
  // Rewrites the backlog conflated, and with the oldest log lines dropped
  // when past the log bound.
  void Compact();
  // Gives each log_stream in batch the lines dropped for its resource.
  void TellDroppedLines(WriteBatch& batch);

  const OutboundLimits limits_;
  FrameQueue frames_;
  size_t messages_ = 0;
  size_t bytes_ = 0;
  size_t log_bytes_ = 0;
  // The backlog is compacted when it grows past this many messages (twice
  // what the last compaction left), so compacting costs O(1) per message.
  size_t compact_at_messages_;
  protocol::DroppedLines dropped_lines_;
};

}  // namespace nanokit::gateway
