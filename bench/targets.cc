#include "bench/targets.h"

#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "bench/pinning.h"
#include "common/address.h"
#include "core_client/hub_publisher.h"
#include "protocol/server_message.h"

namespace nanokit::bench {

namespace v1 = nanokit::bridge::v1;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr char kNatsSubject[] = "bench.events";

// A program on PATH, as a full path (ChildProcess does not search).
std::string OnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path ? path : "/usr/bin:/bin", ':')) {
    const std::string candidate = absl::StrCat(dir, "/", name);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

absl::StatusOr<tcp::endpoint> Endpoint(const std::string& host_port) {
  auto parsed = ParseHostPort(host_port);
  if (!parsed.ok()) return parsed.status();
  boost::system::error_code ec;
  auto address = net::ip::make_address(parsed->host, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("not an IP address: ", host_port));
  return tcp::endpoint(address, parsed->port);
}

class HubSink : public EventSink {
 public:
  explicit HubSink(client::HubPublisherOptions options) : publisher_(std::move(options)) {}
  void Publish(v1::Event event) override { publisher_.Publish(std::move(event)); }
  bool Flush(absl::Duration timeout) override { return publisher_.Flush(timeout); }

 private:
  client::HubPublisher publisher_;
};

// A blocking TCP connection: the peers' publisher writes as it goes.
class SocketSink : public EventSink {
 protected:
  absl::Status Connect(const std::string& address) {
    auto endpoint = Endpoint(address);
    if (!endpoint.ok()) return endpoint.status();
    boost::system::error_code ec;
    socket_.connect(*endpoint, ec);
    if (ec) return absl::UnavailableError(absl::StrCat("cannot connect to ", address, ": ", ec.message()));
    socket_.set_option(tcp::no_delay(true), ec);
    return absl::OkStatus();
  }
  bool Flush(absl::Duration) override { return true; }  // written as it goes
  void WriteAll(std::string_view bytes) {
    boost::system::error_code ec;
    net::write(socket_, net::buffer(bytes.data(), bytes.size()), ec);
  }

  net::io_context ioc_;
  tcp::socket socket_{ioc_};
};

// The Node.js server broadcasts what /publish sends to everyone else.
class WsSink : public SocketSink {
 public:
  absl::Status Open(const std::string& address) {
    if (auto status = Connect(address); !status.ok()) return status;
    WriteAll(absl::StrCat("GET /publish HTTP/1.1\r\nHost: ", address,
                          "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"));
    net::streambuf response;
    boost::system::error_code ec;
    net::read_until(socket_, response, "\r\n\r\n", ec);
    std::string head(net::buffers_begin(response.data()), net::buffers_end(response.data()));
    if (ec || head.rfind("HTTP/1.1 101", 0) != 0) return absl::UnavailableError("the ws server refused /publish");
    return absl::OkStatus();
  }
  void Publish(v1::Event event) override {
    const std::string json = EventJson(event);
    frame_.clear();
    frame_.push_back(static_cast<char>(0x81));
    if (json.size() < 126) {
      frame_.push_back(static_cast<char>(0x80 | json.size()));
    } else {
      frame_.push_back(static_cast<char>(0x80 | 126));
      frame_.push_back(static_cast<char>(json.size() >> 8));
      frame_.push_back(static_cast<char>(json.size() & 0xff));
    }
    frame_.append("\0\0\0\0", 4);  // a zero mask: the payload as it is
    frame_.append(json);
    WriteAll(frame_);
  }

 private:
  std::string frame_;
};

class NatsSink : public SocketSink {
 public:
  absl::Status Open(const std::string& address) {
    if (auto status = Connect(address); !status.ok()) return status;
    WriteAll("CONNECT {\"verbose\":false,\"pedantic\":false,\"protocol\":1}\r\n");
    return absl::OkStatus();
  }
  void Publish(v1::Event event) override {
    const std::string json = EventJson(event);
    WriteAll(absl::StrCat("PUB ", kNatsSubject, " ", json.size(), "\r\n", json, "\r\n"));
  }
};

}  // namespace

int ReportFailure(const absl::Status& status) {
  std::fprintf(stderr, "nanokit-bench: %s\n", std::string(status.message()).c_str());
  return 1;
}

std::string EventJson(const v1::Event& event) { return ToJson(EventToServerMessage(event)); }

absl::StatusOr<ServerKind> ParseServerKind(std::string_view name) {
  if (name == "nanokit") return ServerKind::kNanokit;
  if (name == "ws") return ServerKind::kNodeWs;
  if (name == "nats") return ServerKind::kNats;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown server \"", std::string(name), "\"; expected nanokit, ws or nats"));
}

std::string_view ServerKindName(ServerKind kind) {
  switch (kind) {
    case ServerKind::kNanokit:
      return "nanokit";
    case ServerKind::kNodeWs:
      return "ws";
    case ServerKind::kNats:
      return "nats";
  }
  return "?";
}

absl::StatusOr<std::unique_ptr<Target>> Target::Start(ServerKind kind, const TargetOptions& options) {
  std::unique_ptr<Target> target(new Target());
  target->kind_ = kind;
  ClientPlan& plan = target->plan_;
  std::string ws_address;
  if (kind == ServerKind::kNanokit) {
    auto servers = Servers::Start(options.hub_binary, HubStore{}, options.gateway_binary, options.gateway_flags,
                                  options.server_cpus);
    if (!servers.ok()) return servers.status();
    target->servers_ = *std::move(servers);
    ws_address = target->servers_->gateway_address();
    plan.path = "/ws";
    plan.headers =
        absl::StrCat("Sec-WebSocket-Protocol: nanokit.v1, nanokit.bearer.", target->servers_->token(), "\r\n");
    target->projects_ = std::max<uint64_t>(1, options.projects);
  } else {
    char dir_template[] = "/tmp/nanokit-bench-peer-XXXXXX";
    if (mkdtemp(dir_template) == nullptr) return absl::UnavailableError("cannot create a temporary folder");
    target->dir_ = dir_template;
    if (kind == ServerKind::kNodeWs) {
      const std::string node = OnPath("node");
      const std::string script = options.peers_dir + "/ws-broadcast.mjs";
      if (node.empty()) return absl::UnavailableError("node is not on PATH (scripts/install-deps --tests)");
      auto process = StartOnCpus(options.server_cpus, node, {script}, options.peers_dir, target->dir_ + "/ws.log");
      if (!process.ok()) return process.status();
      auto line = (*process)->ReadLine(absl::Seconds(20));
      if (!line.ok() || line->find("listening on ") == std::string::npos) {
        return absl::UnavailableError(absl::StrCat("the ws server did not start; see ", target->dir_, "/ws.log"));
      }
      target->peer_ = *std::move(process);
      ws_address = line->substr(line->rfind(' ') + 1);
      target->publish_address_ = ws_address;
      plan.path = "/";
    } else {
      const std::string nats = OnPath("nats-server").empty() ? "/usr/sbin/nats-server" : OnPath("nats-server");
      if (access(nats.c_str(), X_OK) != 0)
        return absl::UnavailableError("nats-server is not installed (apt-get install nats-server)");
      const std::string conf = target->dir_ + "/nats.conf";
      std::ofstream(conf) << "listen: \"127.0.0.1:-1\"\nports_file_dir: \"" << target->dir_
                          << "\"\nwebsocket {\n  listen: \"127.0.0.1:-1\"\n  no_tls: true\n}\n";
      auto process = StartOnCpus(options.server_cpus, nats, {"-c", conf}, target->dir_, target->dir_ + "/nats.log");
      if (!process.ok()) return process.status();
      target->peer_ = *std::move(process);
      // nats-server writes its ports to nats-server_<pid>.ports once listening.
      const std::string ports_file = absl::StrCat(target->dir_, "/nats-server_", target->peer_->pid(), ".ports");
      std::string ports;
      for (const absl::Time deadline = absl::Now() + absl::Seconds(20); absl::Now() < deadline;) {
        std::ifstream in(ports_file);
        std::stringstream text;
        text << in.rdbuf();
        ports = text.str();
        if (ports.find("ws://") != std::string::npos) break;
        absl::SleepFor(absl::Milliseconds(20));
      }
      auto find = [&](std::string_view scheme) {
        const size_t at = ports.find(scheme);
        if (at == std::string::npos) return std::string();
        const size_t begin = at + scheme.size();
        return ports.substr(begin, ports.find('"', begin) - begin);
      };
      ws_address = find("ws://");
      target->publish_address_ = find("nats://");
      if (ws_address.empty() || target->publish_address_.empty()) {
        return absl::UnavailableError(absl::StrCat("nats-server did not start; see ", target->dir_, "/nats.log"));
      }
      plan.path = "/";
      // PING after SUB: its PONG says the subscription is in place.
      plan.hello = absl::StrCat("CONNECT {\"verbose\":false,\"pedantic\":false,\"protocol\":1}\r\nSUB ", kNatsSubject,
                                " 1\r\nPING\r\n");
    }
  }
  auto endpoint = Endpoint(ws_address);
  if (!endpoint.ok()) return endpoint.status();
  plan.endpoint = *endpoint;
  plan.host = ws_address;
  return target;
}

Target::~Target() {
  if (peer_ != nullptr) {
    peer_->Signal(SIGTERM);
    peer_->Wait(absl::Seconds(10));
  }
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

std::string BenchProject(uint64_t k, uint64_t n) { return n <= 1 ? "bench" : absl::StrCat("bench-", k % n); }

std::string Target::Hello(uint64_t id) const {
  if (kind_ != ServerKind::kNanokit) return plan_.hello;
  return absl::StrCat(R"({"type":"subscribe","project":")", BenchProject(id, projects_), R"("})");
}

bool Target::IsSubscribedBy(std::string_view message) const {
  switch (kind_) {
    case ServerKind::kNanokit:
      return message.find("\"type\":\"snapshot\"") != std::string_view::npos ||
             message.find("\"type\":\"resumed\"") != std::string_view::npos;
    case ServerKind::kNats:
      return message.find("PONG\r\n") != std::string_view::npos;
    case ServerKind::kNodeWs:
      return true;
  }
  return false;
}

absl::StatusOr<std::unique_ptr<EventSink>> Target::NewSink() {
  switch (kind_) {
    case ServerKind::kNanokit: {
      client::HubPublisherOptions options;
      options.target = servers_->hub_address();
      options.token = servers_->token();
      options.source = "bench-core";
      return std::make_unique<HubSink>(options);
    }
    case ServerKind::kNodeWs: {
      auto sink = std::make_unique<WsSink>();
      if (auto status = sink->Open(publish_address_); !status.ok()) return status;
      return sink;
    }
    case ServerKind::kNats: {
      auto sink = std::make_unique<NatsSink>();
      if (auto status = sink->Open(publish_address_); !status.ok()) return status;
      return sink;
    }
  }
  return absl::InternalError("unknown server");
}

pid_t Target::server_pid() const { return servers_ ? servers_->gateway_pid() : peer_->pid(); }
pid_t Target::hub_pid() const { return servers_ ? servers_->hub_pid() : 0; }

void Target::KillGateway() {
  if (servers_) servers_->KillGateway();
}

absl::Status Target::RestartGateway() {
  if (!servers_) return absl::FailedPreconditionError("only our gateway restarts");
  return servers_->RestartGateway();
}

}  // namespace nanokit::bench
