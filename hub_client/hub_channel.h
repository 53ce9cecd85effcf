#pragma once
// The gRPC channel every client of the hub uses (cores, gateways, the CLI),
// in plain text or over TLS.

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "common/flags.h"

namespace nanokit {

// How a client reaches a hub that serves TLS. A CA turns TLS on: the hub's
// certificate must chain to it and name the host dialled (an IP address
// needs an IP SAN). cert and key, both or neither, are this client's own
// certificate, for a hub that requires one (--tls-client-ca). The files are
// watched: a renewed certificate is picked up without a restart.
struct HubTls {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool enabled() const { return !ca_file.empty(); }
};

// --hub-ca, --hub-cert, --hub-key: the same three flags in every program.
void RegisterHubTlsFlags(FlagSet& flags, HubTls* tls);
// Whether the combination makes sense and the files can be read: an error
// naming the flag and the path (never a key's content).
absl::Status CheckHubTls(const HubTls& tls);

// Keepalive notices a dead hub within seconds, not minutes; the socket is
// retried quickly because callers run their own backoff for streams. With
// a tls that CheckHubTls refuses, every call fails (UNAVAILABLE).
std::shared_ptr<grpc::Channel> CreateHubChannel(const std::string& target, const HubTls& tls = {},
                                                int max_receive_bytes = 4 * 1024 * 1024);

}  // namespace nanokit
