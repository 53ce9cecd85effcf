#include "ws_gateway/outbound_queue.h"

#include <algorithm>

#include <google/protobuf/util/json_util.h>

#include "nanokit/bridge/v1/websocket.pb.h"

namespace nanokit::gateway {

namespace v1 = nanokit::bridge::v1;

namespace {

constexpr size_t kCompactAtLeast = 2 * kMaxFrameMessages;

// The same log_stream with more dropped lines counted. Only on the overflow
// path, so parsing the shared JSON again is fine.
EncodedMessagePtr WithDroppedLines(const EncodedMessagePtr& message, uint64_t dropped) {
  v1::ServerMessage parsed;
  if (!google::protobuf::util::JsonStringToMessage(message->json, &parsed).ok()) return message;
  auto* logs = parsed.mutable_log_stream();
  logs->set_dropped_lines(logs->dropped_lines() + dropped);
  return EncodeMessage(parsed);
}

}  // namespace

OutboundQueue::OutboundQueue(OutboundLimits limits) : limits_(limits), compact_at_messages_(kCompactAtLeast) {}

void OutboundQueue::Append(OutboundFramePtr frame) {
  messages_ += frame->size();
  bytes_ += frame->body().size();
  log_bytes_ += frame->log_bytes;
  frames_.push_back(std::move(frame));
}

bool OutboundQueue::Push(absl::Span<const OutboundFramePtr> frames) {
  for (const OutboundFramePtr& frame : frames) Append(frame);
  if (messages_ > compact_at_messages_ || log_bytes_ > limits_.max_log_bytes || bytes_ > limits_.max_bytes) {
    Compact();
  }
  // One message alone (a big snapshot, say) is not a backlog: the bound is
  // on what piles up behind it.
  return messages_ <= 1 || (bytes_ <= limits_.max_bytes && messages_ <= limits_.max_messages);
}

void OutboundQueue::Compact() {
  std::vector<EncodedMessagePtr> messages;
  messages.reserve(messages_);
  for (const OutboundFramePtr& frame : frames_) messages.insert(messages.end(), frame->messages.begin(), frame->messages.end());
  Conflate(messages);
  size_t log_bytes = 0;
  size_t newest_log = messages.size();
  for (size_t i = 0; i < messages.size(); ++i) {
    if (messages[i]->kind != EncodedMessage::Kind::kLogStream) continue;
    log_bytes += messages[i]->json.size();
    newest_log = i;
  }
  const size_t bound = limits_.max_log_bytes;
  if (log_bytes > bound) {
    // Down to half the bound, so the next compaction is that far away. The
    // newest lines are always kept.
    bool dropped = false;
    for (size_t i = 0; i < newest_log && log_bytes > bound / 2; ++i) {
      const EncodedMessagePtr& message = messages[i];
      if (message->kind != EncodedMessage::Kind::kLogStream) continue;
      dropped_lines_.AddDroppedMessage(message->log_key, message->log_lines, message->log_dropped_lines);
      log_bytes -= message->json.size();
      messages[i] = nullptr;
      dropped = true;
    }
    if (dropped) messages.erase(std::remove(messages.begin(), messages.end(), nullptr), messages.end());
  }
  frames_.clear();
  messages_ = bytes_ = log_bytes_ = 0;
  for (OutboundFramePtr& frame : PackFrames(messages)) Append(std::move(frame));
  compact_at_messages_ = std::max(kCompactAtLeast, 2 * messages_);
}

WriteBatch OutboundQueue::TakeWrite() {
  WriteBatch batch;
  size_t message_count = 0;
  while (!frames_.empty() && (batch.empty() || message_count + frames_.front()->size() <= kMaxFrameMessages)) {
    const OutboundFramePtr& frame = frames_.front();
    message_count += frame->size();
    messages_ -= frame->size();
    bytes_ -= frame->body().size();
    log_bytes_ -= frame->log_bytes;
    batch.push_back(frames_.pop_front());
  }
  if (!dropped_lines_.empty()) TellDroppedLines(batch);
  return batch;
}

void OutboundQueue::TellDroppedLines(WriteBatch& batch) {
  for (OutboundFramePtr& frame : batch) {
    std::vector<EncodedMessagePtr> messages;  // a private copy, made only when it changes
    for (size_t i = 0; i < frame->messages.size() && !dropped_lines_.empty(); ++i) {
      const EncodedMessagePtr& message = frame->messages[i];
      if (message->kind != EncodedMessage::Kind::kLogStream) continue;
      const uint64_t dropped = dropped_lines_.Take(message->log_key);
      if (dropped == 0) continue;
      if (messages.empty()) messages = frame->messages;
      messages[i] = WithDroppedLines(message, dropped);
    }
    if (!messages.empty()) frame = PackFrames(messages).front();
  }
}

void OutboundQueue::Clear() {
  frames_.clear();
  messages_ = bytes_ = log_bytes_ = 0;
  compact_at_messages_ = kCompactAtLeast;
}

}  // namespace nanokit::gateway
