#pragma once
// What a fanout or idle run measures: our hub and gateway, or a peer doing
// the same job for comparison — a minimal Node.js `ws` broadcast server (what
// a web team would write instead) or nats-server with its WebSocket listener.
// Each is started here on port 0 and stopped at the end; the load tool's
// clients connect the same way to all of them and count the same events.

#include <sys/types.h>

#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bench/servers.h"
#include "nanokit/bridge/v1/events.pb.h"
#include "common/child_process.h"

namespace nanokit::bench {

enum class ServerKind { kNanokit, kNodeWs, kNats };
absl::StatusOr<ServerKind> ParseServerKind(std::string_view name);
std::string_view ServerKindName(ServerKind kind);

struct TargetOptions {
  std::string hub_binary;
  std::string gateway_binary;
  std::vector<std::string> gateway_flags;
  // bench/peers/ (the Node.js server's script).
  std::string peers_dir;
  // Ours only: the projects the load is spread over (BenchProject), each
  // client subscribed to one of them.
  uint64_t projects = 1;
  // Where the servers run (bench/pinning.h); empty: anywhere.
  std::string server_cpus;
};

// The k-th of n projects a run's events go to: "bench" alone, else
// "bench-k".
std::string BenchProject(uint64_t k, uint64_t n);

// How a subscriber connects, and what it says once the WebSocket is open.
struct ClientPlan {
  boost::asio::ip::tcp::endpoint endpoint;
  std::string host;
  std::string path;
  std::string headers;  // whole lines
  std::string hello;    // sent on open; empty: nothing (see Target::Hello)
};

// Where the core's events go: through the hub (core_client), or straight to
// the peer as the JSON our gateway would send.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void Publish(bridge::v1::Event event) = 0;
  // Until everything published is acknowledged (the hub) or written.
  virtual bool Flush(absl::Duration timeout) = 0;
};

class Target {
 public:
  static absl::StatusOr<std::unique_ptr<Target>> Start(ServerKind kind, const TargetOptions& options);
  ~Target();

  ServerKind kind() const { return kind_; }
  const ClientPlan& plan() const { return plan_; }
  // What client `id` sends once open: its subscribe (to its project of
  // TargetOptions::projects), or the peer's hello.
  std::string Hello(uint64_t id) const;
  // True once a subscriber's messages so far show it subscribed: our
  // snapshot, nats' PONG to the PING sent after SUB; for `ws`, being open.
  bool IsSubscribedBy(std::string_view message) const;
  absl::StatusOr<std::unique_ptr<EventSink>> NewSink();
  // The process fanning out (gateway, node, nats-server) and, for us, the hub.
  pid_t server_pid() const;
  pid_t hub_pid() const;
  // Ours only: SIGKILL the gateway, and start it again on the same port.
  void KillGateway();
  absl::Status RestartGateway();

 private:
  Target() = default;
  ServerKind kind_ = ServerKind::kNanokit;
  ClientPlan plan_;
  uint64_t projects_ = 1;
  std::unique_ptr<Servers> servers_;    // kNanokit
  std::unique_ptr<ChildProcess> peer_;  // kNodeWs, kNats
  std::string dir_;
  std::string publish_address_;  // peers: host:port the sink connects to
};

// Prints "nanokit-bench: <message>" on stderr; returns the exit code, 1.
int ReportFailure(const absl::Status& status);

// The event as our gateway's JSON (what the peers are sent to fan out).
std::string EventJson(const bridge::v1::Event& event);

}  // namespace nanokit::bench
