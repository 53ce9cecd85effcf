#include "ws_gateway/frame.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/server_message.h"
#include "protocol/conflation.h"
#include "protocol/resource_key.h"

namespace nanokit::gateway {

namespace v1 = nanokit::bridge::v1;

Frame EncodeJson(std::string json, const v1::ServerMessage& header) {
  auto frame = std::make_shared<EncodedMessage>();
  frame->json = std::move(json);
  frame->project = header.project();
  switch (header.payload_case()) {
    case v1::ServerMessage::kStatusUpdate:
      frame->kind = header.status_update().removed() ? EncodedMessage::Kind::kRemoval
                                                     : EncodedMessage::Kind::kStatusUpdate;
      frame->resource_id = header.status_update().resource_id();
      break;
    case v1::ServerMessage::kLogStream:
      frame->kind = EncodedMessage::Kind::kLogStream;
      frame->resource_id = header.log_stream().resource_id();
      frame->log_lines = static_cast<uint64_t>(header.log_stream().lines_size());
      frame->log_dropped_lines = header.log_stream().dropped_lines();
      break;
    case v1::ServerMessage::kHeartbeat:
      frame->kind = EncodedMessage::Kind::kHeartbeat;
      break;
    default:
      break;
  }
  switch (frame->kind) {
    case EncodedMessage::Kind::kStatusUpdate:
    case EncodedMessage::Kind::kRemoval:
      frame->conflation_key = absl::StrCat("s", protocol::ResourceKey(frame->project, frame->resource_id));
      break;
    case EncodedMessage::Kind::kHeartbeat:
      frame->conflation_key = absl::StrCat("h", frame->project);
      break;
    case EncodedMessage::Kind::kLogStream:
      frame->log_key = protocol::ResourceKey(frame->project, frame->resource_id);
      break;
    case EncodedMessage::Kind::kOther:
      break;
  }
  return frame;
}

Frame EncodeMessage(const v1::ServerMessage& message) { return EncodeJson(ToJson(message), message); }

void Conflate(std::vector<Frame>& frames) {
  // Newest first, as the rule wants them.
  protocol::Conflator conflator;
  bool dropped = false;
  for (size_t i = frames.size(); i-- > 0;) {
    const EncodedMessage& frame = *frames[i];
    if (frame.conflation_key.empty()) continue;
    const auto kind = frame.kind == EncodedMessage::Kind::kRemoval ? protocol::UpdateKind::kRemoval
                                                                   : protocol::UpdateKind::kLatestWins;
    if (conflator.Superseded(frame.conflation_key, kind)) {
      frames[i] = nullptr;
      dropped = true;
    }
  }
  if (!dropped) return;
  frames.erase(std::remove(frames.begin(), frames.end(), nullptr), frames.end());
  // A heartbeat names a seq and the state digest there. Once a status is
  // dropped for a newer one further on, the state a reader holds at an
  // earlier heartbeat's seq lacks it: the heartbeats go last, where the
  // reader has applied everything before them.
  std::stable_partition(frames.begin(), frames.end(),
                        [](const Frame& frame) { return frame->kind != EncodedMessage::Kind::kHeartbeat; });
}

std::vector<Chunk> MakeChunks(const std::vector<Frame>& frames) {
  std::vector<Chunk> chunks;
  chunks.reserve((frames.size() + kMaxBatchMessages - 1) / kMaxBatchMessages);
  for (size_t begin = 0; begin < frames.size(); begin += kMaxBatchMessages) {
    const size_t end = std::min(frames.size(), begin + kMaxBatchMessages);
    auto chunk = std::make_shared<FrameChunk>();
    chunk->frames.assign(frames.begin() + static_cast<std::ptrdiff_t>(begin),
                         frames.begin() + static_cast<std::ptrdiff_t>(end));
    size_t bytes = 0;
    for (const Frame& frame : chunk->frames) {
      bytes += frame->json.size() + 1;
      if (frame->kind == EncodedMessage::Kind::kLogStream) chunk->log_bytes += frame->json.size();
    }
    if (chunk->frames.size() > 1) {
      chunk->joined.reserve(bytes);
      for (const Frame& frame : chunk->frames) {
        if (!chunk->joined.empty()) chunk->joined.push_back(',');
        chunk->joined.append(frame->json);
      }
    }
    chunks.push_back(std::move(chunk));
  }
  return chunks;
}

}  // namespace nanokit::gateway
