#include "ws_gateway/subscriber.h"

#include "absl/strings/str_cat.h"
#include "common/server_message.h"

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
      frame->conflation_key = absl::StrCat("s", frame->project, "\n", frame->resource_id);
      break;
    case EncodedMessage::Kind::kHeartbeat:
      frame->conflation_key = absl::StrCat("h", frame->project);
      break;
    case EncodedMessage::Kind::kLogStream:
      frame->log_key = absl::StrCat(frame->project, "\n", frame->resource_id);
      break;
    case EncodedMessage::Kind::kOther:
      break;
  }
  return frame;
}

Frame EncodeMessage(const v1::ServerMessage& message) { return EncodeJson(ToJson(message), message); }

}  // namespace nanokit::gateway
