#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace nanokit::gateway {

// A frame of the WebSocket protocol: one ServerMessage as JSON, built once
// and shared by every connection that sends it.
using Frame = std::shared_ptr<const std::string>;

// What a ProjectChannel delivers to: one WebSocket connection. Send must be
// thread-safe and must not block; frames of one project arrive in order.
class Subscriber {
 public:
  virtual ~Subscriber() = default;
  virtual uint64_t id() const = 0;
  virtual void Send(Frame frame) = 0;
};

}  // namespace nanokit::gateway
