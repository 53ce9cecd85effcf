#include "hub_client/hub_channel.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include "absl/strings/str_cat.h"
#include "common/pem.h"

namespace nanokit {

namespace {

// How often the certificate files are read again.
constexpr unsigned kReloadSeconds = 1;

std::shared_ptr<grpc::ChannelCredentials> Credentials(const HubTls& tls) {
  if (!tls.enabled()) return grpc::InsecureChannelCredentials();
  auto provider = tls.cert_file.empty()
                      ? std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(tls.ca_file, kReloadSeconds)
                      : std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
                            tls.key_file, tls.cert_file, tls.ca_file, kReloadSeconds);
  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(provider);
  options.watch_root_certs();
  if (!tls.cert_file.empty()) options.watch_identity_key_cert_pairs();
  // The hub's certificate is verified, chain and host name both: there is
  // no switch to skip it.
  options.set_verify_server_certs(true);
  return grpc::experimental::TlsCredentials(options);
}

}  // namespace

void RegisterHubTlsFlags(FlagSet& flags, HubTls* tls) {
  flags.String("hub-ca", &tls->ca_file,
               "PEM file of the CA the hub's certificate must chain to; turns TLS to the hub on.");
  flags.String("hub-cert", &tls->cert_file, "PEM certificate to present to a hub that requires one (with --hub-key).");
  flags.String("hub-key", &tls->key_file, "PEM private key of --hub-cert.");
}

absl::Status CheckHubTls(const HubTls& tls) {
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return absl::InvalidArgumentError("--hub-cert and --hub-key go together");
  }
  if (!tls.cert_file.empty() && tls.ca_file.empty()) {
    return absl::InvalidArgumentError("--hub-cert needs --hub-ca (a client certificate is only sent over TLS)");
  }
  if (!tls.enabled()) return absl::OkStatus();
  if (auto status = CheckPemFile("--hub-ca", tls.ca_file); !status.ok()) return status;
  if (tls.cert_file.empty()) return absl::OkStatus();
  if (auto status = CheckPemFile("--hub-cert", tls.cert_file); !status.ok()) return status;
  return CheckPemFile("--hub-key", tls.key_file);
}

std::shared_ptr<grpc::Channel> CreateHubChannel(const std::string& target, const HubTls& tls, int max_receive_bytes) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetMaxReceiveMessageSize(max_receive_bytes);
  return grpc::CreateCustomChannel(target, Credentials(tls), args);
}

}  // namespace nanokit
