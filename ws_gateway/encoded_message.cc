#include "ws_gateway/encoded_message.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "protocol/conflation.h"
#include "protocol/proto_time.h"
#include "protocol/resource_key.h"
#include "protocol/server_message.h"

namespace nanokit::gateway {

namespace v1 = nanokit::bridge::v1;

EncodedMessagePtr EncodeJson(std::string json, const v1::ServerMessage& header) {
  auto message = std::make_shared<EncodedMessage>();
  message->json = std::move(json);
  message->project = header.project();
  if (header.has_emitted_at()) message->emitted_at = FromTimestamp(header.emitted_at());
  switch (header.payload_case()) {
    case v1::ServerMessage::kStatusUpdate:
      message->kind = header.status_update().removed() ? EncodedMessage::Kind::kRemoval
                                                     : EncodedMessage::Kind::kStatusUpdate;
      message->resource_id = header.status_update().resource_id();
      break;
    case v1::ServerMessage::kLogStream:
      message->kind = EncodedMessage::Kind::kLogStream;
      message->resource_id = header.log_stream().resource_id();
      message->log_lines = static_cast<uint64_t>(header.log_stream().lines_size());
      message->log_dropped_lines = header.log_stream().dropped_lines();
      break;
    case v1::ServerMessage::kHeartbeat:
      message->kind = EncodedMessage::Kind::kHeartbeat;
      break;
    default:
      break;
  }
  switch (message->kind) {
    case EncodedMessage::Kind::kStatusUpdate:
    case EncodedMessage::Kind::kRemoval:
      message->conflation_key = absl::StrCat("s", protocol::ResourceKey(message->project, message->resource_id));
      break;
    case EncodedMessage::Kind::kHeartbeat:
      message->conflation_key = absl::StrCat("h", message->project);
      break;
    case EncodedMessage::Kind::kLogStream:
      message->log_key = protocol::ResourceKey(message->project, message->resource_id);
      break;
    case EncodedMessage::Kind::kOther:
      break;
  }
  return message;
}

EncodedMessagePtr EncodeMessage(const v1::ServerMessage& message) { return EncodeJson(ToJson(message), message); }

void Conflate(std::vector<EncodedMessagePtr>& messages) {
  // Newest first, as the rule wants them.
  protocol::Conflator conflator;
  bool dropped = false;
  for (size_t i = messages.size(); i-- > 0;) {
    const EncodedMessage& message = *messages[i];
    if (message.conflation_key.empty()) continue;
    const auto kind = message.kind == EncodedMessage::Kind::kRemoval ? protocol::UpdateKind::kRemoval
                                                                   : protocol::UpdateKind::kLatestWins;
    if (conflator.Superseded(message.conflation_key, kind)) {
      messages[i] = nullptr;
      dropped = true;
    }
  }
  if (!dropped) return;
  messages.erase(std::remove(messages.begin(), messages.end(), nullptr), messages.end());
  // A heartbeat names a seq and the state digest there. Once a status is
  // dropped for a newer one further on, the state a reader holds at an
  // earlier heartbeat's seq lacks it: the heartbeats go last, where the
  // reader has applied everything before them.
  std::stable_partition(messages.begin(), messages.end(),
                        [](const EncodedMessagePtr& message) { return message->kind != EncodedMessage::Kind::kHeartbeat; });
}

std::vector<OutboundFramePtr> PackFrames(const std::vector<EncodedMessagePtr>& messages) {
  std::vector<OutboundFramePtr> frames;
  frames.reserve((messages.size() + kMaxFrameMessages - 1) / kMaxFrameMessages);
  for (size_t begin = 0; begin < messages.size(); begin += kMaxFrameMessages) {
    const size_t end = std::min(messages.size(), begin + kMaxFrameMessages);
    auto frame = std::make_shared<OutboundFrame>();
    frame->messages.assign(messages.begin() + static_cast<std::ptrdiff_t>(begin),
                         messages.begin() + static_cast<std::ptrdiff_t>(end));
    size_t bytes = 0;
    for (const EncodedMessagePtr& message : frame->messages) {
      bytes += message->json.size() + 1;
      if (message->kind == EncodedMessage::Kind::kLogStream) frame->log_bytes += message->json.size();
      if (message->emitted_at != absl::InfinitePast() &&
          (frame->emitted_at == absl::InfinitePast() || message->emitted_at < frame->emitted_at)) {
        frame->emitted_at = message->emitted_at;
      }
    }
    if (frame->messages.size() > 1) {
      frame->joined.reserve(bytes);
      for (const EncodedMessagePtr& message : frame->messages) {
        if (!frame->joined.empty()) frame->joined.push_back(',');
        frame->joined.append(message->json);
      }
    }
    frames.push_back(std::move(frame));
  }
  return frames;
}

}  // namespace nanokit::gateway
