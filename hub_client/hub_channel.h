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
// server_name, when set, is the name checked in the hub's certificate instead
// of the host dialled: several hubs given by IP address share one.
struct HubTls {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string server_name;
  bool enabled() const { return !ca_file.empty(); }
};

// --hub-ca, --hub-cert, --hub-key, --hub-server-name: the same flags in
// every program.
void RegisterHubTlsFlags(FlagSet& flags, HubTls* tls);
// Whether the combination makes sense and the files can be read: an error
// naming the flag and the path (never a key's content).
absl::Status CheckHubTls(const HubTls& tls);

// The gRPC target for --hub. One HOST:PORT is dialled as it is (a DNS name
// that resolves to several hubs is gRPC's resolver's to spread). Several,
// comma-separated, must be IP addresses, all IPv4 or all IPv6: they become
// one ipv4: or ipv6: target over which gRPC's pick_first connects to the
// first hub that answers and, when that one goes, to the next that does.
// Over TLS, several hubs need tls.server_name (an IP list has no one host
// name to check). INVALID_ARGUMENT says which rule and which address.
absl::StatusOr<std::string> HubTarget(const std::string& hubs, const HubTls& tls = {});

// Keepalive notices a dead hub within seconds, not minutes; the socket is
// retried quickly because callers run their own backoff for streams. With
// hubs that HubTarget refuses or a tls that CheckHubTls refuses, every call
// fails (UNAVAILABLE): check them first.
std::shared_ptr<grpc::Channel> CreateHubChannel(const std::string& hubs, const HubTls& tls = {},
                                                int max_receive_bytes = 4 * 1024 * 1024);

}  // namespace nanokit
