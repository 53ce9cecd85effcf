#pragma once
// A real NATS cluster with JetStream on this machine, for tests and
// benchmarks (never a production binary): N nats-server processes on
// loopback, routed to each other, each with its own store folder. Client
// ports are picked by the servers (-1) and read from their ports files;
// cluster ports must be known before the first node starts (a JetStream
// node will not start without its routes), so they are reserved by binding
// port 0 first.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/child_process.h"

namespace nanokit::jetstream {

class LocalCluster {
 public:
  // Starts the nodes in dir (created) and waits until each serves clients.
  // extra_config: appended to every node's configuration (e.g. a tls block).
  static absl::StatusOr<std::unique_ptr<LocalCluster>> Start(int nodes, const std::string& dir,
                                                             const std::string& extra_config = "");
  ~LocalCluster();

  // nats://127.0.0.1:PORT of every node, comma-separated (--nats's form).
  std::string urls() const;
  const std::vector<std::string>& node_urls() const { return urls_; }
  // The node whose server_name is name ("n0", "n1", ...); -1 if none.
  int NodeNamed(const std::string& name) const;
  // SIGKILL: the node is gone at once, as a crashed machine.
  void Kill(int node);
  bool alive(int node) const { return nodes_[node] != nullptr; }
  std::string log_of(int node) const;
  pid_t pid(int node) const { return nodes_[node] ? nodes_[node]->pid() : 0; }

 private:
  LocalCluster() = default;
  std::string dir_;
  std::vector<std::unique_ptr<ChildProcess>> nodes_;
  std::vector<std::string> urls_;
};

}  // namespace nanokit::jetstream
