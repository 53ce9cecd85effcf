#include "jetstream/local_cluster.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"

namespace nanokit::jetstream {

namespace {

// A free loopback port: bound, read, released. The node binds it a moment
// later; nothing else on a test machine races for it in practice.
absl::StatusOr<int> ReservePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  if (port < 0) return absl::InternalError("could not reserve a port");
  return port;
}

std::string NatsServerBinary() {
  for (const char* path : {"/usr/sbin/nats-server", "/usr/bin/nats-server"}) {
    if (::access(path, X_OK) == 0) return path;
  }
  return {};
}

}  // namespace

absl::StatusOr<std::unique_ptr<LocalCluster>> LocalCluster::Start(int nodes, const std::string& dir,
                                                                 const std::string& extra_config) {
  const std::string binary = NatsServerBinary();
  if (binary.empty()) return absl::UnavailableError("nats-server is not installed (apt-get install nats-server)");
  std::unique_ptr<LocalCluster> cluster(new LocalCluster());
  cluster->dir_ = dir;
  std::vector<int> route_ports;
  for (int i = 0; i < nodes; ++i) {
    auto port = ReservePort();
    if (!port.ok()) return port.status();
    route_ports.push_back(*port);
  }
  std::vector<std::string> routes;
  for (int port : route_ports) routes.push_back(absl::StrCat("\"nats-route://127.0.0.1:", port, "\""));
  for (int i = 0; i < nodes; ++i) {
    const std::string node_dir = absl::StrCat(dir, "/n", i);
    std::filesystem::create_directories(node_dir);
    const std::string conf = node_dir + "/nats.conf";
    std::ofstream(conf) << "server_name: n" << i << "\n"
                        << "listen: \"127.0.0.1:-1\"\n"
                        << "ports_file_dir: \"" << node_dir << "\"\n"
                        << "jetstream { store_dir: \"" << node_dir << "/js\", max_memory_store: 64MB, "
                        << "max_file_store: 2GB }\n"
                        << "cluster { name: nanokit-test, listen: \"127.0.0.1:" << route_ports[i] << "\", routes: ["
                        << absl::StrJoin(routes, ", ") << "] }\n"
                        << extra_config << "\n";
    auto process = ChildProcess::Start(binary, {"-c", conf}, node_dir, node_dir + "/nats.log");
    if (!process.ok()) return process.status();
    cluster->nodes_.push_back(*std::move(process));
  }
  // Each node writes nats-server_<pid>.ports once it serves clients.
  for (int i = 0; i < nodes; ++i) {
    const std::string ports_file = absl::StrCat(dir, "/n", i, "/nats-server_", cluster->nodes_[i]->pid(), ".ports");
    std::string url;
    for (const absl::Time deadline = absl::Now() + absl::Seconds(20); url.empty() && absl::Now() < deadline;) {
      std::ifstream in(ports_file);
      std::stringstream text;
      text << in.rdbuf();
      const std::string ports = text.str();
      // {"nats":["nats://127.0.0.1:4222"],"cluster":["nats://…"]}: the
      // clients' URL is the first of "nats" (tls:// when the node has TLS;
      // the cluster's listener then is the first nats:// in the file).
      constexpr std::string_view kClients = "\"nats\":[\"";
      const size_t at = ports.find(kClients);
      const size_t end = at == std::string::npos ? at : ports.find('"', at + kClients.size());
      if (end != std::string::npos) {
        url = ports.substr(at + kClients.size(), end - at - kClients.size());
      } else {
        absl::SleepFor(absl::Milliseconds(20));
      }
    }
    if (url.empty()) return absl::UnavailableError(absl::StrCat("nats-server n", i, " did not start; see ", cluster->log_of(i)));
    cluster->urls_.push_back(url);
  }
  return cluster;
}

LocalCluster::~LocalCluster() {
  for (auto& node : nodes_) {
    if (node == nullptr) continue;
    node->Signal(SIGTERM);
    node->Wait(absl::Seconds(10));
  }
}

std::string LocalCluster::urls() const { return absl::StrJoin(urls_, ","); }

int LocalCluster::NodeNamed(const std::string& name) const {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (name == absl::StrCat("n", i)) return static_cast<int>(i);
  }
  return -1;
}

void LocalCluster::Kill(int node) {
  if (nodes_[node] == nullptr) return;
  nodes_[node]->Signal(SIGKILL);
  nodes_[node]->Wait(absl::Seconds(10));
  nodes_[node].reset();
}

std::string LocalCluster::log_of(int node) const { return absl::StrCat(dir_, "/n", node, "/nats.log"); }

}  // namespace nanokit::jetstream
