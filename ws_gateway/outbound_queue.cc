#include "ws_gateway/outbound_queue.h"

#include <algorithm>

#include <google/protobuf/util/json_util.h>

#include "nanokit/bridge/v1/websocket.pb.h"

namespace nanokit::gateway {

namespace v1 = nanokit::bridge::v1;

namespace {

constexpr size_t kCompactAtLeast = 2 * kMaxBatchMessages;

// The same log_stream with more dropped lines counted. Only on the overflow
// path, so parsing the shared JSON again is fine.
Frame WithDroppedLines(const Frame& frame, uint64_t dropped) {
  v1::ServerMessage message;
  if (!google::protobuf::util::JsonStringToMessage(frame->json, &message).ok()) return frame;
  auto* logs = message.mutable_log_stream();
  logs->set_dropped_lines(logs->dropped_lines() + dropped);
  return EncodeMessage(message);
}

}  // namespace

OutboundQueue::OutboundQueue(OutboundLimits limits) : limits_(limits), compact_at_messages_(kCompactAtLeast) {}

void OutboundQueue::Append(Chunk chunk) {
  messages_ += chunk->size();
  bytes_ += chunk->body().size();
  log_bytes_ += chunk->log_bytes;
  chunks_.push_back(std::move(chunk));
}

bool OutboundQueue::Push(const std::vector<Chunk>& chunks) {
  for (const Chunk& chunk : chunks) Append(chunk);
  if (messages_ > compact_at_messages_ || log_bytes_ > limits_.max_log_bytes || bytes_ > limits_.max_bytes) {
    Compact();
  }
  // One message alone (a big snapshot, say) is not a backlog: the bound is
  // on what piles up behind it.
  return messages_ <= 1 || (bytes_ <= limits_.max_bytes && messages_ <= limits_.max_messages);
}

void OutboundQueue::Compact() {
  std::vector<Frame> frames;
  frames.reserve(messages_);
  for (const Chunk& chunk : chunks_) frames.insert(frames.end(), chunk->frames.begin(), chunk->frames.end());
  Conflate(frames);
  size_t log_bytes = 0;
  size_t newest_log = frames.size();
  for (size_t i = 0; i < frames.size(); ++i) {
    if (frames[i]->kind != EncodedMessage::Kind::kLogStream) continue;
    log_bytes += frames[i]->json.size();
    newest_log = i;
  }
  const size_t bound = limits_.max_log_bytes;
  if (log_bytes > bound) {
    // Down to half the bound, so the next compaction is that far away. The
    // newest lines are always kept.
    bool dropped = false;
    for (size_t i = 0; i < newest_log && log_bytes > bound / 2; ++i) {
      const Frame& frame = frames[i];
      if (frame->kind != EncodedMessage::Kind::kLogStream) continue;
      dropped_lines_.AddDroppedMessage(frame->log_key, frame->log_lines, frame->log_dropped_lines);
      log_bytes -= frame->json.size();
      frames[i] = nullptr;
      dropped = true;
    }
    if (dropped) frames.erase(std::remove(frames.begin(), frames.end(), nullptr), frames.end());
  }
  chunks_.clear();
  messages_ = bytes_ = log_bytes_ = 0;
  for (Chunk& chunk : MakeChunks(frames)) Append(std::move(chunk));
  compact_at_messages_ = std::max(kCompactAtLeast, 2 * messages_);
}

std::vector<Chunk> OutboundQueue::TakeBatch() {
  std::vector<Chunk> batch;
  size_t messages = 0;
  while (!chunks_.empty() && (batch.empty() || messages + chunks_.front()->size() <= kMaxBatchMessages)) {
    const Chunk& chunk = chunks_.front();
    messages += chunk->size();
    messages_ -= chunk->size();
    bytes_ -= chunk->body().size();
    log_bytes_ -= chunk->log_bytes;
    batch.push_back(chunks_.pop_front());
  }
  if (!dropped_lines_.empty()) TellDroppedLines(batch);
  return batch;
}

void OutboundQueue::TellDroppedLines(std::vector<Chunk>& batch) {
  for (Chunk& chunk : batch) {
    std::vector<Frame> frames;  // a private copy, made only when it changes
    for (size_t i = 0; i < chunk->frames.size() && !dropped_lines_.empty(); ++i) {
      const Frame& frame = chunk->frames[i];
      if (frame->kind != EncodedMessage::Kind::kLogStream) continue;
      const uint64_t dropped = dropped_lines_.Take(frame->log_key);
      if (dropped == 0) continue;
      if (frames.empty()) frames = chunk->frames;
      frames[i] = WithDroppedLines(frame, dropped);
    }
    if (!frames.empty()) chunk = MakeChunks(frames).front();
  }
}

void OutboundQueue::Clear() {
  chunks_.clear();
  messages_ = bytes_ = log_bytes_ = 0;
  compact_at_messages_ = kCompactAtLeast;
}

}  // namespace nanokit::gateway
