// nanokit-hub: receives events from cores (IngestService) and serves them to
// gateways and other watchers (WatchService).

#include <atomic>
#include <cstdio>
#include <iostream>
#include <memory>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/strings/str_cat.h"
#include "auth/access_control.h"
#include "common/address.h"
#include "common/flags.h"
#include "common/log.h"
#include "common/signals.h"
#include "common/token.h"
#include "hub/hub.h"
#include "hub/ingest_service.h"
#include "hub/jetstream_store.h"
#include "hub/server_tls.h"
#include "hub/sqlite_store.h"
#include "hub/watch_service.h"
#include "metrics/metrics_server.h"

namespace {

[[noreturn]] void Fail(const std::string& message) {
  std::cerr << "nanokit-hub: " << message << std::endl;
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
  std::string listen = kDefaultHubAddress;
  std::string token_file = kDefaultTokenFile;
  std::string credentials_file = auth::kDefaultCredentialsFile;
  bool insecure_no_auth = false;
  std::string data_dir = ".nanokit/hub";
  bool in_memory = false;
  hub::ServerTls tls;
  // The defaults are the options' own: --help prints them from there.
  hub::HubOptions options;

  FlagSet flags("nanokit-hub", "[flags]");
  flags.String("listen", &listen, "Address to serve gRPC on, HOST:PORT; port 0 picks a free port.");
  flags.String("token-file", &token_file, "File holding the shared token (written by `nanokit init`).");
  flags.String("credentials", &credentials_file,
               "Scoped tokens (`nanokit token`), read again every second; a missing file is an empty one. "
               "Empty: the admin token only.");
  flags.Bool("insecure-no-auth", &insecure_no_auth, "Accept every RPC without a token. Never in production.");
  flags.Duration("heartbeat-interval", &options.heartbeat_interval, "Interval of heartbeats to watchers.");
  flags.Uint64("history-events", &options.project.history_events,
               "Events per project kept for watchers to resume from.");
  flags.Uint64("log-lines", &options.project.log_lines_per_resource, "Log lines kept per resource in snapshots.");
  flags.Uint64("max-projects", &options.max_projects, "Most projects the hub will hold.");
  flags.String("data-dir", &data_dir, "Folder of the durable store (SQLite, WAL); created if missing.");
  flags.Bool("in-memory", &in_memory, "Keep nothing on disk: a restart starts a new epoch.");
  flags.Uint64("snapshot-every", &options.project.snapshot_every, "Events between full state snapshots in the store.");
  std::string nats_servers, nats_creds, nats_ca, nats_stream = "NANOKIT";
  uint64_t nats_replicas = 3, nats_max_bytes = 256ull * 1024 * 1024, nats_max_entries = 0;
  flags.String("nats", &nats_servers,
               "Keep the history in NATS JetStream instead of --data-dir: nats://HOST:PORT[,nats://HOST:PORT...] "
               "(tls://... for TLS). Several hubs on the same stream serve the same fleet.");
  flags.Uint64("nats-replicas", &nats_replicas, "Replicas of the stream (1 for a single NATS server).");
  flags.String("nats-creds", &nats_creds, "NATS credentials file (.creds: user JWT and NKey seed).");
  flags.String("nats-ca", &nats_ca, "PEM CA to verify the NATS servers' certificates with (turns TLS on).");
  flags.String("nats-stream", &nats_stream, "The JetStream stream that holds the history (subject nanokit.<name>).");
  flags.Uint64("nats-max-bytes", &nats_max_bytes,
               "Most bytes the stream keeps (compressed); the oldest entries go first (snapshots keep the state). A "
               "starting hub reads all of it. 0: no limit.");
  flags.Uint64("nats-max-entries", &nats_max_entries, "Most entries the stream keeps. 0: no limit.");
  hub::RegisterServerTlsFlags(flags, &tls);
  std::string metrics_listen;
  metrics::RegisterMetricsFlag(flags, &metrics_listen);
  log::Settings log_settings;
  log::RegisterFlags(flags, &log_settings);
  flags.ParseOrExit(argc, argv);
  if (auto status = log::Apply(log_settings); !status.ok()) Fail(std::string(status.message()));
  const bool use_nats = !nats_servers.empty();
  if (use_nats && (in_memory || flags.Given("data-dir"))) Fail("--nats excludes --data-dir and --in-memory");
  if (nats_replicas < 1 || nats_replicas > 5) Fail("--nats-replicas: 1 to 5");

  auto address = ParseHostPort(listen);
  if (!address.ok()) Fail("--listen: " + std::string(address.status().message()));
  auto credentials = hub::ServerCredentials(tls);
  if (!credentials.ok()) Fail(std::string(credentials.status().message()));

  log::SetComponent("hub");
  absl::StatusOr<std::string> admin_token;
  if (!insecure_no_auth) {
    admin_token = LoadTokenFile(token_file);
    if (!admin_token.ok()) Fail("--token-file: " + std::string(admin_token.status().message()));
  }

  std::unique_ptr<hub::Store> store;
  std::string store_description = in_memory ? "in memory" : "data in " + data_dir;
  if (use_nats) {
    hub::JetStreamStoreOptions nats;
    auto servers = jetstream::ParseServers(nats_servers);
    if (!servers.ok()) Fail("--nats: " + std::string(servers.status().message()));
    nats.connection.servers = *std::move(servers);
    nats.connection.credentials_file = nats_creds;
    nats.connection.ca_file = nats_ca;
    nats.connection.name = "nanokit-hub";
    nats.stream.name = nats_stream;
    nats.stream.subject = "nanokit." + nats_stream;
    nats.stream.replicas = static_cast<int>(nats_replicas);
    nats.stream.max_bytes = nats_max_bytes == 0 ? -1 : static_cast<int64_t>(nats_max_bytes);
    nats.stream.max_messages = nats_max_entries == 0 ? -1 : static_cast<int64_t>(nats_max_entries);
    nats.writer = "hub-" + hub::NewEpoch();
    nats.history_events = options.project.history_events;
    auto opened = hub::JetStreamStore::Open(std::move(nats));
    if (!opened.ok()) Fail("--nats: " + std::string(opened.status().message()));
    store = *std::move(opened);
    store_description = "history in NATS JetStream stream " + nats_stream;
    data_dir = "stream " + nats_stream;
  } else if (in_memory) {
    store = std::make_unique<hub::MemoryStore>();
  } else {
    auto sqlite = hub::SqliteStore::Open(data_dir, options.max_sources);
    if (!sqlite.ok()) Fail("--data-dir: " + std::string(sqlite.status().message()));
    store = *std::move(sqlite);
  }
  // Set once the server runs: commits failing (a full disk, a store gone
  // read-only) make the hub NOT_SERVING until one succeeds again.
  std::atomic<grpc::HealthCheckServiceInterface*> health{nullptr};
  options.on_store_health = [&health](bool writable) {
    if (auto* service = health.load()) service->SetServingStatus(writable);
  };
  hub::Hub hub(options, std::move(store));
  if (auto status = hub.Recover(); !status.ok()) {
    Fail(std::string(use_nats ? "--nats" : "--data-dir") + ": cannot restore " + data_dir + ": " +
         std::string(status.message()));
  }
  // After the store, so that a start that fails says one thing.
  std::unique_ptr<auth::AccessControl> access;
  if (insecure_no_auth) {
    log::Warn("AUTHENTICATION IS OFF (--insecure-no-auth): anyone who can reach ", address->ToString(),
              " can publish and watch");
    access = auth::AccessControl::Disabled();
  } else {
    auto created = auth::AccessControl::Create({.admin_token = *std::move(admin_token),
                                                .credentials_file = credentials_file});
    if (!created.ok()) Fail("--credentials: " + std::string(created.status().message()));
    access = *std::move(created);
  }
  hub.Start();

  hub::IngestService ingest(&hub, access.get());
  hub::WatchService watch(&hub, access.get());

  // grpc.health.v1.Health and server reflection, both without a token
  // (they tell whether the hub serves and what, nothing of the projects).
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int bound_port = 0;
  builder.AddListeningPort(address->ToString(), *credentials, &bound_port);
  builder.RegisterService(&ingest);
  builder.RegisterService(&watch);
  builder.SetMaxReceiveMessageSize(16 * 1024 * 1024);
  // Let clients ping often enough to notice a dead hub within seconds.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 1000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || bound_port == 0) Fail("cannot listen on " + address->ToString());

  // The store is recovered and has taken nothing yet: serving.
  server->GetHealthCheckService()->SetServingStatus(true);
  health = server->GetHealthCheckService();
  HostPort bound{address->host, static_cast<uint16_t>(bound_port)};
  std::printf("nanokit-hub listening on %s\n", bound.ToString().c_str());
  std::fflush(stdout);
  auto registry = std::make_shared<metrics::Registry>();
  hub.metrics().Register(*registry);
  auto metrics_server = metrics::ServeMetricsIfAsked(metrics_listen, "nanokit-hub", registry);
  if (!metrics_server.ok()) Fail(std::string(metrics_server.status().message()));
  log::Info("listening on ", bound.ToString(), tls.enabled() ? " over TLS" : " in plain text (no --tls-cert)",
            tls.client_ca_file.empty() ? "" : ", client certificates required", access->enabled() ? ", token required" : "",
            ", ", store_description);

  int sig = WaitForStopSignal([] { log::Info("SIGHUP: nothing to do (TLS files are watched and read every second)"); });
  log::Info("signal ", sig, ": shutting down");
  // NOT_SERVING first, for health watchers and load balancers; then the
  // health service ignores the store's changes.
  health = nullptr;
  server->GetHealthCheckService()->Shutdown();
  // Open streams are cancelled after the deadline; reactors finish them.
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server->Wait();
  hub.Stop();
  log::Info("stopped");
  return 0;
}
