#pragma once
// A connection to a NATS cluster with JetStream, through the NATS C client
// (Debian's libnats-dev): the servers to try, credentials and TLS as the
// client supports them, reconnecting forever. The hub keeps its history in
// JetStream through it (stream_log.h) when started with --nats.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nats/nats.h"

namespace nanokit::jetstream {

struct ConnectionOptions {
  // nats://HOST:PORT (tls://HOST:PORT for TLS); the client tries each and
  // learns the rest of the cluster from the one it reaches.
  std::vector<std::string> servers;
  // A NATS .creds file (user JWT and NKey seed); empty: none.
  std::string credentials_file;
  // PEM CAs to verify the servers' TLS certificates with; setting it
  // requires TLS.
  std::string ca_file;
  // How long one JetStream request (an append, a read) may take before it
  // fails as UNAVAILABLE (and may be retried).
  absl::Duration request_timeout = absl::Seconds(5);
  // Shown in the servers' connection lists.
  std::string name = "nanokit";
};

// Splits "nats://a:4222,nats://b:4222" into servers; INVALID_ARGUMENT names
// the bad one.
absl::StatusOr<std::vector<std::string>> ParseServers(const std::string& list);

class Connection {
 public:
  static absl::StatusOr<std::unique_ptr<Connection>> Connect(const ConnectionOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  jsCtx* jetstream() const { return js_; }
  natsConnection* nats() const { return nc_; }
  // The largest message the servers take (their max_payload, 1 MiB unless
  // configured).
  int64_t max_payload() const { return natsConnection_GetMaxPayload(nc_); }
  absl::Duration request_timeout() const { return request_timeout_; }

 private:
  Connection(natsConnection* nc, jsCtx* js, absl::Duration request_timeout)
      : nc_(nc), js_(js), request_timeout_(request_timeout) {}
  natsConnection* nc_;
  jsCtx* js_;
  absl::Duration request_timeout_;
};

}  // namespace nanokit::jetstream
