#pragma once
// Plain NATS messages on one subject, to whoever subscribes to it now: no
// stream, nothing kept, nothing replayed. What hubs tell each other that is
// not history (which projects have a core connected to which hub).

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "jetstream/connection.h"

namespace nanokit::jetstream {

class Broadcast {
 public:
  // Messages arrive on the NATS client's thread for this subscription, one
  // at a time, our own included.
  using OnMessage = std::function<void(std::string data)>;

  static absl::StatusOr<std::unique_ptr<Broadcast>> Start(Connection* connection, std::string subject,
                                                          OnMessage on_message);
  // Unsubscribes; on_message is not running and is not called again once
  // this returns.
  ~Broadcast();
  Broadcast(const Broadcast&) = delete;
  Broadcast& operator=(const Broadcast&) = delete;

  // Fire and forget: lost if nobody listens or the connection is down.
  absl::Status Send(absl::string_view data);

 private:
  Broadcast(Connection* connection, std::string subject, OnMessage on_message)
      : connection_(connection), subject_(std::move(subject)), on_message_(std::move(on_message)) {}
  static void OnNatsMessage(natsConnection* nc, natsSubscription* sub, natsMsg* msg, void* closure);
  static void OnComplete(void* closure);

  Connection* const connection_;
  const std::string subject_;
  const OnMessage on_message_;
  natsSubscription* subscription_ = nullptr;
  absl::Mutex mu_;
  bool complete_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace nanokit::jetstream
