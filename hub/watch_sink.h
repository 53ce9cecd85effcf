#pragma once

#include <memory>

#include "nanokit/bridge/v1/watch.pb.h"

namespace nanokit::hub {

// Receives one project's stream of WatchResponses. The project calls these
// with its lock held, so they must only queue (never block, never call back
// into the project). Each response is built once and shared by all sinks.
class WatchSink {
 public:
  virtual ~WatchSink() = default;
  // False when the sink's queue is full: the project then calls Resync.
  virtual bool Deliver(std::shared_ptr<const bridge::v1::WatchResponse> response) = 0;
  // Drops everything queued and queues a snapshot instead: a watcher that
  // fell too far behind starts over from the current state.
  virtual void Resync(std::shared_ptr<const bridge::v1::WatchResponse> snapshot) = 0;
};

}  // namespace nanokit::hub
