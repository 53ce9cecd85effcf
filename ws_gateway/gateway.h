#pragma once
// The gateway process: an HTTP/WebSocket server (Listener, HttpSession,
// WebSocketSession) in front of one ProjectFanout per project watched on the
// hub. Connections are sharded: each shard is an io_context run by one
// thread, and a connection lives on one shard for its whole life, so its
// handlers never need a lock and a project fanout hands each hub batch to a
// shard once, not to each connection.

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/address.h"
#include "common/clock.h"
#include "auth/access_control.h"
#include "hub_client/hub_channel.h"
#include "oidc/relying_party.h"
#include "nanokit/bridge/v1/watch.pb.h"
#include "ws_gateway/directory_mirror.h"
#include "ws_gateway/gateway_metrics.h"
#include "ws_gateway/hub_link.h"
#include "ws_gateway/outbound_queue.h"
#include "ws_gateway/project_fanout.h"
#include "ws_gateway/server_tls_context.h"
#include "ws_gateway/shard_ticker.h"
#include "ws_gateway/static_files.h"

namespace nanokit::gateway {

class Listener;
class DashboardConnection;

struct GatewayOptions {
  // HOST:PORT; port 0 picks a free port.
  std::string listen = kDefaultGatewayAddress;
  // Both set: HTTPS and WSS only (PEM files; Reload reads them again).
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string hub = kDefaultHubAddress;
  // TLS to the hub; plain text when its CA is empty.
  HubTls hub_tls;
  // Sent to the hub; empty sends none.
  std::string hub_token;
  // Checks dashboards' tokens and says what each may see.
  std::shared_ptr<auth::AccessControl> access = auth::AccessControl::Disabled();
  std::vector<std::string> allowed_origins;
  // Sign-in through an OpenID provider (/auth/...), also access's external
  // identity source; null: off.
  std::shared_ptr<oidc::RelyingParty> sign_in;
  absl::Duration heartbeat_interval = absl::Seconds(5);
  // A connection whose data stays unacknowledged this long is closed (by
  // TCP: TCP_USER_TIMEOUT; heartbeats keep data flowing to every one).
  absl::Duration idle_timeout = absl::Seconds(30);
  // Shards: one io_context and one thread each.
  int threads = 2;
  // Per connection, what may wait for its socket (ws_gateway/outbound_queue.h):
  // past the byte or message bound the connection is closed (1013) and the
  // dashboard resumes when it comes back; past the log bound the oldest lines
  // are dropped and the next log_stream of that resource says how many.
  OutboundLimits outbound;
  // A connection whose write has not completed within this is closed (1013).
  absl::Duration write_timeout = absl::Seconds(30);
  // A closing handshake (ours or the dashboard's) not finished within this
  // (no close frame back, or the TCP connection left open after it): the
  // connection is dropped.
  absl::Duration close_timeout = absl::Seconds(10);
  // What every decision by time reads (write timeouts, heartbeats, the
  // fanouts' pacing): the real clock but in tests. Must outlive the gateway.
  const Clock* clock = &Clock::Real();
  size_t max_message_bytes = 64 * 1024;  // inbound frames
  size_t max_subscriptions = 64;         // per connection
  size_t max_projects = 1024;
  FanoutOptions fanout;
  // The dashboard, served at / ; null serves none.
  std::shared_ptr<const StaticFiles> static_files;
};

class Gateway {
 public:
  explicit Gateway(GatewayOptions options);
  ~Gateway();

  // Loads the TLS pair if any, binds and starts serving. Returns the bound
  // endpoint.
  absl::StatusOr<boost::asio::ip::tcp::endpoint> Start();
  // Reads the TLS certificate and key again (SIGHUP): new connections get
  // the new pair, open ones keep theirs. On an error the last good pair
  // stays. OK and nothing done without TLS.
  absl::Status ReloadTls();
  // For a new connection: the current TLS context, or null in plain text.
  std::shared_ptr<boost::asio::ssl::context> TlsContext() const;
  // Stops accepting, closes every WebSocket with 1001, ends the hub watches
  // and joins the threads. Returns within a few seconds.
  void Shutdown();

  const GatewayOptions& options() const { return options_; }
  GatewayMetrics& metrics() { return metrics_; }
  size_t shard_count() const { return shards_.size(); }
  boost::asio::io_context& shard(size_t index) { return *shards_[index]; }
  // The clock of a shard's connections; on that shard's thread only.
  ShardTicker& ticker(size_t shard) { return *tickers_[shard]; }
  // The shard for the next connection (round robin).
  size_t NextShard() { return next_shard_++ % shards_.size(); }

  // The fanout of a project, created (and watching) on first use.
  absl::StatusOr<std::shared_ptr<ProjectFanout>> Fanout(const std::string& project);
  // The list of projects, for dashboards that follow it.
  DirectoryMirror& directory() { return *directory_; }
  // True when the hub is reachable: every fanout's watch is up, or with no
  // fanout yet, the gRPC channel is ready.
  bool HubConnected();

  // Runs work that blocks on the network (the identity provider) on the
  // gateway's own threads, never on a shard's.
  void Offload(std::function<void()> work);
  // A JWT named a signing key not seen yet (the provider may have rotated
  // its keys): fetches them off the shards (at most once a minute), then
  // runs then on executor, where the caller decides again.
  void RefreshKeysThen(boost::asio::any_io_executor executor, std::function<void()> then);

  void AddSession(const std::shared_ptr<DashboardConnection>& session);
  void RemoveSession(uint64_t id);
  uint64_t NextConnectionId() { return next_connection_id_++; }

 private:
  const GatewayOptions options_;
  GatewayMetrics metrics_;
  std::vector<std::unique_ptr<boost::asio::io_context>> shards_;
  std::vector<std::shared_ptr<ShardTicker>> tickers_;  // one per shard
  std::atomic<size_t> next_shard_{0};
  HubLink hub_;
  std::shared_ptr<DirectoryMirror> directory_;
  std::unique_ptr<ServerTlsContext> tls_;
  std::shared_ptr<Listener> listener_;
  std::vector<std::thread> threads_;
  boost::asio::thread_pool blocking_{2};
  std::atomic<uint64_t> next_connection_id_{1};
  bool started_ = false;
  bool shut_down_ = false;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<std::string, std::shared_ptr<ProjectFanout>> fanouts_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, std::weak_ptr<DashboardConnection>> sessions_ ABSL_GUARDED_BY(mu_);
};

}  // namespace nanokit::gateway
