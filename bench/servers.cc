#include "bench/servers.h"

#include <stdlib.h>

#include <csignal>
#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "bench/pinning.h"
#include "common/token.h"

namespace nanokit::bench {

namespace {

absl::StatusOr<std::unique_ptr<ChildProcess>> StartServer(const std::string& cpus, const std::string& binary,
                                                          const std::vector<std::string>& args, const std::string& dir,
                                                          const std::string& name, std::string* address) {
  auto process = StartOnCpus(cpus, binary, args, dir, absl::StrCat(dir, "/", name, ".log"));
  if (!process.ok())
    return absl::UnavailableError(absl::StrCat("cannot start ", binary, ": ", process.status().message()));
  // The first line saying where it listens (a wrapper such as a profiler may
  // print its own lines first).
  auto line = (*process)->ReadLine(absl::Seconds(20));
  for (int skipped = 0; line.ok() && line->find("listening on ") == std::string::npos && skipped < 20; ++skipped) {
    line = (*process)->ReadLine(absl::Seconds(20));
  }
  if (!line.ok() || line->find("listening on ") == std::string::npos) {
    return absl::UnavailableError(absl::StrCat(name, " did not start; see ", dir, "/", name, ".log"));
  }
  *address = line->substr(line->rfind(' ') + 1);
  return process;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Servers>> Servers::Start(const std::string& hub_binary, const HubStore& store,
                                                        const std::string& gateway_binary,
                                                        const std::vector<std::string>& gateway_flags,
                                                        const std::string& cpus) {
  std::unique_ptr<Servers> servers(new Servers());
  servers->cpus_ = cpus;
  char dir_template[] = "/tmp/nanokit-bench-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) return absl::UnavailableError("cannot create a temporary folder");
  servers->dir_ = dir_template;
  auto token = GenerateToken();
  if (!token.ok()) return token.status();
  servers->token_ = *token;
  const std::string token_file = servers->dir_ + "/token";
  if (auto written = WriteTokenFile(token_file, servers->token_, false); !written.ok()) return written;

  for (int h = 0; h < std::max(store.hubs, 1); ++h) {
    std::vector<std::string> hub_args = {"--listen", "127.0.0.1:0", "--token-file", token_file};
    if (!store.nats.empty()) {
      hub_args.insert(hub_args.end(), {"--nats", store.nats});
    } else if (store.durable) {
      hub_args.insert(hub_args.end(), {"--data-dir", servers->dir_ + "/hub"});
    } else {
      hub_args.push_back("--in-memory");
    }
    std::string address;
    auto hub = StartServer(cpus, hub_binary, hub_args, servers->dir_, h == 0 ? "hub" : absl::StrCat("hub", h), &address);
    if (!hub.ok()) return hub.status();
    servers->hubs_.push_back(*std::move(hub));
    servers->hub_addresses_.push_back(address);
  }
  if (!gateway_binary.empty()) {
    std::vector<std::string> args = {"--listen",     "127.0.0.1:0", "--hub", servers->hub_address(),
                                     "--token-file", token_file};
    args.insert(args.end(), gateway_flags.begin(), gateway_flags.end());
    auto gateway = StartServer(cpus, gateway_binary, args, servers->dir_, "gateway", &servers->gateway_address_);
    if (!gateway.ok()) return gateway.status();
    servers->gateway_ = *std::move(gateway);
    servers->gateway_binary_ = gateway_binary;
    servers->gateway_args_ = std::move(args);
    servers->gateway_args_[1] = servers->gateway_address_;  // the same port next time
  }
  return servers;
}

std::vector<pid_t> Servers::hub_pids() const {
  std::vector<pid_t> pids;
  for (const auto& hub : hubs_) pids.push_back(hub->pid());
  return pids;
}

absl::Status Servers::StartGatewayOn(const std::string& gateway_binary, const std::string& target) {
  std::vector<std::string> args = {"--listen", "127.0.0.1:0", "--hub", target, "--token-file", dir_ + "/token"};
  auto gateway = StartServer(cpus_, gateway_binary, args, dir_, "gateway", &gateway_address_);
  if (!gateway.ok()) return gateway.status();
  gateway_ = *std::move(gateway);
  gateway_binary_ = gateway_binary;
  gateway_args_ = std::move(args);
  gateway_args_[1] = gateway_address_;
  return absl::OkStatus();
}

void Servers::KillHub(size_t i) {
  if (i >= hubs_.size() || hubs_[i] == nullptr) return;
  hubs_[i]->Signal(SIGKILL);
  hubs_[i]->Wait(absl::Seconds(10));
  hubs_[i].reset();
}

void Servers::KillGateway() {
  if (gateway_ == nullptr) return;
  gateway_->Signal(SIGKILL);
  gateway_->Wait(absl::Seconds(10));
  gateway_.reset();
}

absl::Status Servers::RestartGateway() {
  std::string address;
  auto gateway = StartServer(cpus_, gateway_binary_, gateway_args_, dir_, "gateway", &address);
  if (!gateway.ok()) return gateway.status();
  gateway_ = *std::move(gateway);
  return absl::OkStatus();
}

Servers::~Servers() {
  std::vector<ChildProcess*> processes = {gateway_.get()};
  for (auto& hub : hubs_) processes.push_back(hub.get());  // null when killed
  for (ChildProcess* p : processes) {
    if (p == nullptr) continue;
    p->Signal(SIGTERM);
    p->Wait(absl::Seconds(10));
  }
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

}  // namespace nanokit::bench
