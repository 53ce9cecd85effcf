#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "ws_gateway/frame.h"

namespace nanokit::gateway {

// What a ProjectChannel delivers to: one WebSocket connection, living on one
// of the gateway's shards (an io_context run by one thread).
class Subscriber {
 public:
  virtual ~Subscriber() = default;
  virtual uint64_t id() const = 0;
  // The shard Deliver is called on.
  virtual size_t shard() const = 0;
  // On the subscriber's shard thread only; a project's chunks arrive in
  // order. Must not block.
  virtual void Deliver(const std::vector<Chunk>& chunks) = 0;
};

}  // namespace nanokit::gateway
