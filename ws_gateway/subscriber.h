#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

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
  uint64_t log_lines = 0;   // log_stream
  // Computed once here, not per connection: what a connection conflates on
  // ("s" project \n resource for a status or removal, "h" project for a
  // heartbeat, empty for the rest), and, for log_stream, the resource whose
  // dropped lines it counts (project \n resource).
  std::string conflation_key;
  std::string log_key;
};
using Frame = std::shared_ptr<const EncodedMessage>;
// Frames that belong together (one hub batch): a connection queues them in
// one step, so they leave in one WebSocket frame when they can.
using FrameGroup = std::shared_ptr<const std::vector<Frame>>;

Frame EncodeMessage(const bridge::v1::ServerMessage& message);
Frame EncodeJson(std::string json, const bridge::v1::ServerMessage& header);

// What a ProjectChannel delivers to: one WebSocket connection. Send must be
// thread-safe and must not block; frames of one project arrive in order.
class Subscriber {
 public:
  virtual ~Subscriber() = default;
  virtual uint64_t id() const = 0;
  virtual void Send(FrameGroup frames) = 0;
  void Send(Frame frame) { Send(std::make_shared<const std::vector<Frame>>(1, std::move(frame))); }
};

}  // namespace nanokit::gateway
