#include "hub/server_tls.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include "absl/strings/str_cat.h"
#include "common/openssl_exit.h"
#include "common/pem.h"

namespace nanokit::hub {

namespace {

constexpr unsigned kReloadSeconds = 1;

}  // namespace

void RegisterServerTlsFlags(FlagSet& flags, ServerTls* tls) {
  flags.String("tls-cert", &tls->cert_file,
               "PEM certificate chain to serve TLS with (with --tls-key); then nothing is served in plain text.");
  flags.String("tls-key", &tls->key_file, "PEM private key of --tls-cert.");
  flags.String("tls-client-ca", &tls->client_ca_file,
               "PEM CA that every client's certificate must chain to (mutual TLS); needs --tls-cert.");
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(const ServerTls& tls) {
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  if (!tls.enabled()) {
    if (!tls.client_ca_file.empty()) return absl::InvalidArgumentError("--tls-client-ca needs --tls-cert and --tls-key");
    return grpc::InsecureServerCredentials();
  }
  if (auto status = CheckPemFile("--tls-cert", tls.cert_file); !status.ok()) return status;
  if (auto status = CheckPemFile("--tls-key", tls.key_file); !status.ok()) return status;
  const bool mutual = !tls.client_ca_file.empty();
  if (mutual) {
    if (auto status = CheckPemFile("--tls-client-ca", tls.client_ca_file); !status.ok()) return status;
  }
  SkipOpenSslExitCleanup();
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      tls.key_file, tls.cert_file, tls.client_ca_file, kReloadSeconds);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (mutual) {
    options.watch_root_certs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  } else {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

}  // namespace nanokit::hub
