#pragma once
// What a core's code needs from the link to the hub, without the network:
// HubPublisher is the real one; core_client/mocks/mock_publisher.h gives a
// gMock double for a core's own unit tests (the example in
// examples/cpp_core shows one), so emitting code is tested without a hub.

#include <cstddef>
#include <cstdint>

#include "absl/time/time.h"
#include "nanokit/bridge/v1/events.pb.h"

namespace nanokit::client {

class ActivityManager;

struct PublisherStats {
  uint64_t published = 0;
  uint64_t acknowledged = 0;
  // Events left out because the buffer was full during an outage: status
  // updates superseded by a newer one, and the oldest log lines.
  uint64_t dropped = 0;
  bool connected = false;
  size_t buffered_bytes = 0;
};

class Publisher {
 public:
  virtual ~Publisher() = default;

  // Publishes every event of the manager from now on, and reports its
  // project as connected. The manager must outlive this publisher.
  virtual void Attach(ActivityManager* manager) = 0;

  // Queues one event (project and payload set). Thread-safe, non-blocking.
  virtual void Publish(bridge::v1::Event event) = 0;

  // Waits until the hub has acknowledged everything published so far.
  // False on timeout.
  virtual bool Flush(absl::Duration timeout) = 0;

  virtual PublisherStats stats() const = 0;
};

}  // namespace nanokit::client
