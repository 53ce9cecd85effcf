#include "hub_client/hub_channel.h"

#include <arpa/inet.h>

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/address.h"
#include "common/openssl_exit.h"
#include "common/pem.h"

namespace nanokit {

namespace {

// How often the certificate files are read again.
constexpr unsigned kReloadSeconds = 1;

std::shared_ptr<grpc::ChannelCredentials> Credentials(const HubTls& tls) {
  if (!tls.enabled()) return grpc::InsecureChannelCredentials();
  SkipOpenSslExitCleanup();
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
  flags.String("hub-server-name", &tls->server_name,
               "The name to check in the hub's certificate instead of the host dialled (needed for several --hub "
               "addresses over TLS: the name their certificates share).");
}

absl::Status CheckHubTls(const HubTls& tls) {
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return absl::InvalidArgumentError("--hub-cert and --hub-key go together");
  }
  if (!tls.cert_file.empty() && tls.ca_file.empty()) {
    return absl::InvalidArgumentError("--hub-cert needs --hub-ca (a client certificate is only sent over TLS)");
  }
  if (!tls.server_name.empty() && tls.ca_file.empty()) {
    return absl::InvalidArgumentError("--hub-server-name needs --hub-ca (names are checked only over TLS)");
  }
  if (!tls.enabled()) return absl::OkStatus();
  if (auto status = CheckPemFile("--hub-ca", tls.ca_file); !status.ok()) return status;
  if (tls.cert_file.empty()) return absl::OkStatus();
  if (auto status = CheckPemFile("--hub-cert", tls.cert_file); !status.ok()) return status;
  return CheckPemFile("--hub-key", tls.key_file);
}

absl::StatusOr<std::string> HubTarget(const std::string& hubs, const HubTls& tls) {
  std::vector<std::string> list;
  for (absl::string_view hub : absl::StrSplit(hubs, ',')) {
    hub = absl::StripAsciiWhitespace(hub);
    if (!hub.empty()) list.emplace_back(hub);
  }
  if (list.empty()) return absl::InvalidArgumentError("--hub: no address given");
  std::vector<std::string> addresses;
  int family = 0;
  for (const std::string& hub : list) {
    auto address = ParseHostPort(hub);
    if (!address.ok()) return absl::InvalidArgumentError(absl::StrCat("--hub: ", address.status().message()));
    if (list.size() == 1) return hub;
    unsigned char ip[16];
    const int this_family = inet_pton(AF_INET, address->host.c_str(), ip) == 1    ? AF_INET
                            : inet_pton(AF_INET6, address->host.c_str(), ip) == 1 ? AF_INET6
                                                                                  : 0;
    if (this_family == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--hub: several hubs are given by IP address (\"", address->host,
          "\" is a name); a DNS name that resolves to every hub may be given alone"));
    }
    if (family != 0 && this_family != family) {
      return absl::InvalidArgumentError("--hub: several hubs must be all IPv4 or all IPv6 addresses");
    }
    family = this_family;
    addresses.push_back(family == AF_INET6 ? absl::StrCat("[", address->host, "]:", address->port) : hub);
  }
  if (tls.enabled() && tls.server_name.empty()) {
    return absl::InvalidArgumentError(
        "--hub: several hubs over TLS need --hub-server-name, the name each hub's certificate carries");
  }
  return absl::StrCat(family == AF_INET6 ? "ipv6:" : "ipv4:", absl::StrJoin(addresses, ","));
}

std::shared_ptr<grpc::Channel> CreateHubChannel(const std::string& hubs, const HubTls& tls, int max_receive_bytes) {
  auto target = HubTarget(hubs, tls);
  grpc::ChannelArguments args;
  // The first hub that answers, in the order given; the next when it goes.
  args.SetLoadBalancingPolicyName("pick_first");
  if (!tls.server_name.empty()) args.SetSslTargetNameOverride(tls.server_name);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetMaxReceiveMessageSize(max_receive_bytes);
  return grpc::CreateCustomChannel(target.ok() ? *target : hubs, Credentials(tls), args);
}

}  // namespace nanokit
