#pragma once
// The hub's gRPC server credentials: plain text, TLS, or TLS that requires
// a client certificate (mTLS). The files are watched by gRPC's certificate
// provider: a renewed certificate, key or client CA is used for new
// connections within seconds, without a restart; open ones stay.

#include <memory>
#include <string>

#include <grpcpp/security/server_credentials.h>

#include "absl/status/statusor.h"
#include "common/flags.h"

namespace nanokit::hub {

struct ServerTls {
  std::string cert_file;
  std::string key_file;
  // Set: every client must present a certificate that chains to this CA.
  std::string client_ca_file;
  bool enabled() const { return !cert_file.empty(); }
};

// --tls-cert, --tls-key, --tls-client-ca.
void RegisterServerTlsFlags(FlagSet& flags, ServerTls* tls);

// An error naming the flag and the path when the combination makes no sense
// or a file cannot be read (the key's content is never shown).
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(const ServerTls& tls);

}  // namespace nanokit::hub
