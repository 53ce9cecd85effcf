#pragma once
// What the gateway sends: each ServerMessage encoded once as JSON (an
// EncodedMessage), and the messages packed into outbound frames, each of
// which is written as one WebSocket frame. An OutboundFrame is built once per hub
// batch and shared, immutable, by every connection, with its messages
// already joined into the body of one "batch" message — so a connection that
// keeps up pays one pointer per frame, not work per message, and writes it
// as it is.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "nanokit/bridge/v1/websocket.pb.h"

namespace nanokit::gateway {

// One ServerMessage as JSON, built once and shared by every connection that
// sends it, with what a connection needs to conflate it without parsing.
struct EncodedMessage {
  // kRemoval: a status_update with removed set. It ends the resource (and
  // its logs), so it is never conflated away.
  enum class Kind { kStatusUpdate, kRemoval, kLogStream, kHeartbeat, kOther };
  std::string json;
  Kind kind = Kind::kOther;
  std::string project;
  std::string resource_id;  // status_update and log_stream
  uint64_t log_lines = 0;          // log_stream: its lines
  uint64_t log_dropped_lines = 0;  // log_stream: the dropped lines it reports
  // Computed once here, not per connection: what a connection conflates on
  // ("s" project \n resource for a status or removal, "h" project for a
  // heartbeat, empty for the rest), and, for log_stream, the resource whose
  // dropped lines it counts (project \n resource).
  std::string conflation_key;
  std::string log_key;
  // An event's emitted_at (the core's clock); InfinitePast for the rest.
  absl::Time emitted_at = absl::InfinitePast();
};
using EncodedMessagePtr = std::shared_ptr<const EncodedMessage>;

EncodedMessagePtr EncodeMessage(const bridge::v1::ServerMessage& message);
EncodedMessagePtr EncodeJson(std::string json, const bridge::v1::ServerMessage& header);

// A frame holds at most this many messages: a bigger gathered write would
// cost more per message (Beast walks the buffer list on each partial write).
inline constexpr size_t kMaxFrameMessages = 256;

struct OutboundFrame {
  // In order; never empty; at most kMaxFrameMessages.
  std::vector<EncodedMessagePtr> messages;
  // The messages' JSON joined with ',' when there are several; empty when
  // there is one (its own JSON is the body).
  std::string joined;
  size_t log_bytes = 0;  // of the log_stream messages
  // The oldest emitted_at of its events (what its delivery lag is measured
  // from); InfinitePast when it carries none.
  absl::Time emitted_at = absl::InfinitePast();

  std::string_view body() const { return messages.size() == 1 ? std::string_view(messages[0]->json) : joined; }
  size_t size() const { return messages.size(); }
};
using OutboundFramePtr = std::shared_ptr<const OutboundFrame>;

// Drops what a newer message in the same run makes pointless to send (the
// rule of protocol/conflation.h): an older status of the same resource (the
// newest stays, at its own place), an older heartbeat of the same project;
// never a removal. When anything is dropped, the heartbeats left move to the
// end (their state digests hold only once everything before is applied).
void Conflate(std::vector<EncodedMessagePtr>& messages);

// messages (non-null, in order) as frames of at most kMaxFrameMessages.
std::vector<OutboundFramePtr> PackFrames(const std::vector<EncodedMessagePtr>& messages);

}  // namespace nanokit::gateway
