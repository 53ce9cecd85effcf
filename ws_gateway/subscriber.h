#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "ws_gateway/encoded_message.h"

namespace nanokit::gateway {

// What a ProjectFanout delivers to: one WebSocket connection, living on one
// of the gateway's shards (an io_context run by one thread).
class Subscriber {
 public:
  virtual ~Subscriber() = default;
  virtual uint64_t id() const = 0;
  // The shard Deliver is called on.
  virtual size_t shard() const = 0;
  // On the subscriber's shard thread only; a project's frames arrive in
  // order. Must not block.
  virtual void Deliver(absl::Span<const OutboundFramePtr> frames) = 0;
};

}  // namespace nanokit::gateway
