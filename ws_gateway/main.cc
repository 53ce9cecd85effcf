// nanokit-gateway: watches the hub over gRPC and fans events out to
// dashboards over WebSocket (/ws, subprotocol nanokit.v1) as JSON.

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "common/address.h"
#include "common/file_limit.h"
#include "common/flags.h"
#include "common/log.h"
#include "common/signals.h"
#include "common/token.h"
#include "hub_client/hub_channel.h"
#include "oidc/relying_party.h"
#include "metrics/metrics_server.h"
#include "ws_gateway/gateway.h"

namespace {

[[noreturn]] void Fail(const std::string& message) {
  std::cerr << "nanokit-gateway: " << message << std::endl;
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace nanokit;
  // Before any thread starts (gRPC's start with the first credentials),
  // so that every thread inherits the block and SIGINT/SIGTERM reach only
  // WaitForStopSignal: a signal delivered to a thread that had not blocked
  // it killed the process instead (exit 130).
  BlockStopSignals();
  std::string token_file = kDefaultTokenFile;
  std::string credentials_file = auth::kDefaultCredentialsFile;
  bool insecure_no_auth = false;
  std::string static_dir;
  // The defaults are the options' own: --help prints them from there.
  gateway::GatewayOptions options;
  uint64_t threads = options.threads;
  oidc::RelyingPartyOptions oidc;
  std::string oidc_client_secret_file;

  FlagSet flags("nanokit-gateway", "[flags]");
  flags.String("listen", &options.listen,
               "Address to serve HTTP and WebSocket on, HOST:PORT; port 0 picks a free port.");
  flags.String("tls-cert", &options.tls_cert_file,
               "PEM certificate chain to serve HTTPS and WSS with (with --tls-key); nothing is served in plain text. "
               "SIGHUP reads it again.");
  flags.String("tls-key", &options.tls_key_file, "PEM private key of --tls-cert.");
  flags.String("hub", &options.hub,
               "The hub's gRPC address, HOST:PORT; several hubs (IP addresses), comma-separated: the first that "
               "answers, the next when it goes.");
  RegisterHubTlsFlags(flags, &options.hub_tls);
  flags.String("token-file", &token_file, "File holding the shared token (for the hub and for dashboards).");
  flags.String("credentials", &credentials_file,
               "Scoped tokens (`nanokit token`) dashboards may present, read again every second; a missing file is "
               "an empty one. Empty: the admin token only.");
  flags.Bool("insecure-no-auth", &insecure_no_auth, "Accept dashboards without a token. Never in production.");
  flags.String("public-url", &oidc.public_url,
               "The gateway's external URL, e.g. https://dash.example (https unless loopback); with --oidc-issuer "
               "the provider redirects to <public-url>/auth/callback.");
  flags.String("oidc-issuer", &oidc.issuer,
               "Sign dashboards in through this OpenID provider (read from <issuer>/.well-known/openid-configuration; "
               "https, http on loopback only). Empty: no sign-in.");
  flags.String("oidc-client-id", &oidc.client_id, "The gateway's client id at the provider.");
  flags.String("oidc-client-secret-file", &oidc_client_secret_file, "File holding the client's secret.");
  flags.String("oidc-scopes", &oidc.scopes, "Scopes asked for at sign-in (space-separated).");
  flags.String("oidc-ca-file", &oidc.ca_file, "PEM CAs to trust for the provider's HTTPS. Empty: the system's.");
  flags.String("oidc-audience", &oidc.audience,
               "The audience bearer JWTs from programs must carry. Empty: the client id.");
  flags.String("access-map", &oidc.access_map_file,
               "JSON rules from the provider's claims to projects (README, Production); read again when it changes.");
  flags.Duration("clock-skew", &oidc.clock_skew, "Clock difference tolerated on exp, nbf and iat of tokens.");
  flags.Duration("session-max-age", &oidc.session_max_age, "How long a sign-in lasts before signing in again.");
  flags.Bool("oidc-refresh", &oidc.refresh,
             "Keep each session's refresh token and refresh its claims when its ID token expires: group changes at "
             "the provider apply within the ID token's lifetime, and a person removed there is signed out (add "
             "offline_access to --oidc-scopes where the provider needs it).");
  flags.Duration("oidc-key-refetch-interval", &oidc.min_key_refetch_interval,
                 "A JWT naming an unknown signing key fetches the provider's keys again at most this often.");
  flags.StringList("allowed-origin", &options.allowed_origins,
                   "A browser Origin allowed besides the gateway's own, e.g. http://localhost:3000; * allows any.");
  flags.Duration("heartbeat-interval", &options.heartbeat_interval, "Interval of heartbeat messages to dashboards.");
  flags.Duration("idle-timeout", &options.idle_timeout,
                 "Close a connection whose data stays unacknowledged this long (a dead peer; TCP_USER_TIMEOUT).");
  flags.Uint64("threads", &threads, "Threads serving connections.");
  flags.Uint64("max-queued-bytes", &options.outbound.max_bytes,
               "Bytes waiting per connection before it is closed as too slow.");
  flags.Uint64("max-log-bytes", &options.outbound.max_log_bytes,
               "Log bytes waiting per connection; past it the oldest lines are dropped and counted.");
  flags.Duration("write-timeout", &options.write_timeout, "Close a connection whose write takes longer than this.");
  flags.Duration("close-timeout", &options.close_timeout,
                 "Drop a connection whose closing handshake (ours or the dashboard's) takes longer than this.");
  flags.String("static-dir", &static_dir,
               "The dashboard's files, served at /. Default: ../share/nanokit/dashboard next to this executable.");
  std::string metrics_listen;
  metrics::RegisterMetricsFlag(flags, &metrics_listen);
  log::Settings log_settings;
  log::RegisterFlags(flags, &log_settings);
  flags.ParseOrExit(argc, argv);
  if (auto status = log::Apply(log_settings); !status.ok()) Fail(std::string(status.message()));

  auto address = ParseHostPort(options.listen);
  if (!address.ok()) Fail("--listen: " + std::string(address.status().message()));
  if (threads == 0 || threads > 256) Fail("--threads: must be 1 to 256");
  if (auto status = CheckHubTls(options.hub_tls); !status.ok()) Fail(std::string(status.message()));
  if (auto target = HubTarget(options.hub, options.hub_tls); !target.ok()) Fail(std::string(target.status().message()));

  log::SetComponent("gateway");
  if (insecure_no_auth && !oidc.issuer.empty()) Fail("--insecure-no-auth and --oidc-issuer exclude each other");
  if (insecure_no_auth) {
    log::Warn("AUTHENTICATION IS OFF (--insecure-no-auth): anyone who can reach ", address->ToString(),
              " can watch every project");
  } else {
    auto token = LoadTokenFile(token_file);
    if (!token.ok()) Fail("--token-file: " + std::string(token.status().message()));
    options.hub_token = *token;
    std::shared_ptr<auth::IdentitySource> external;
    if (!oidc.issuer.empty()) {
      if (std::find(options.allowed_origins.begin(), options.allowed_origins.end(), "*") !=
          options.allowed_origins.end()) {
        Fail("--allowed-origin '*' cannot go with --oidc-issuer: any site's page could use a signed-in session");
      }
      auto secret = LoadTokenFile(oidc_client_secret_file);
      if (oidc_client_secret_file.empty()) Fail("--oidc-client-secret-file is required with --oidc-issuer");
      if (!secret.ok()) Fail("--oidc-client-secret-file: " + std::string(secret.status().message()));
      oidc.client_secret = *std::move(secret);
      auto sign_in = oidc::RelyingParty::Create(oidc);
      if (!sign_in.ok()) Fail(std::string(sign_in.status().message()));
      options.sign_in = *sign_in;
      external = *std::move(sign_in);
    }
    auto access = auth::AccessControl::Create(
        {.admin_token = *std::move(token), .credentials_file = credentials_file, .external = std::move(external)});
    if (!access.ok()) Fail("--credentials: " + std::string(access.status().message()));
    options.access = *std::move(access);
  }
  options.threads = static_cast<int>(threads);

  const bool explicit_static_dir = !static_dir.empty();
  if (!explicit_static_dir) static_dir = gateway::StaticFiles::DefaultDir();
  if (!static_dir.empty()) {
    auto files = gateway::StaticFiles::Load(static_dir);
    if (!files.ok()) Fail("--static-dir: " + std::string(files.status().message()));
    options.static_files = *std::move(files);
    log::Info("serving the dashboard from ", static_dir, " (", options.static_files->size(), " files)");
  } else {
    log::Warn("no dashboard found next to the executable; / serves none (use --static-dir)");
  }

  // A descriptor per dashboard: up to the hard limit, not the shell's soft one.
  const uint64_t open_files = RaiseOpenFileLimit();
  if (open_files < 10000) {
    log::Warn(OpenFileLimitAdvice());
  }
  gateway::Gateway gateway(options);
  auto endpoint = gateway.Start();
  if (!endpoint.ok()) Fail(std::string(endpoint.status().message()));
  HostPort bound{endpoint->address().to_string(), endpoint->port()};
  std::printf("nanokit-gateway listening on %s\n", bound.ToString().c_str());
  std::fflush(stdout);
  auto registry = std::make_shared<metrics::Registry>();
  gateway.metrics().Register(*registry, [&gateway] { return gateway.HubConnected(); });
  auto metrics_server = metrics::ServeMetricsIfAsked(metrics_listen, "nanokit-gateway", registry);
  if (!metrics_server.ok()) Fail(std::string(metrics_server.status().message()));
  log::Info("listening on ", bound.ToString(), options.tls_cert_file.empty() ? " (plain HTTP)" : " (HTTPS and WSS)",
            ", hub ", options.hub, options.access->enabled() ? " (token required)" : "",
            options.sign_in ? ", sign-in through " + oidc.issuer : std::string());

  int sig = WaitForStopSignal([&gateway, &options] {
    if (options.tls_cert_file.empty()) {
      log::Info("SIGHUP: no TLS certificate to read again");
    } else if (auto status = gateway.ReloadTls(); status.ok()) {
      log::Info("SIGHUP: TLS certificate ", options.tls_cert_file, " read again; new connections use it");
    } else {
      log::Error("SIGHUP: ", status.message(), "; the previous certificate stays in use");
    }
  });
  log::Info("signal ", sig, ": shutting down");
  gateway.Shutdown();
  log::Info("stopped");
  return 0;
}
