#pragma once
// The servers a benchmark measures: a hub (and a gateway) started on port 0
// in a temporary folder with their own token, stopped and removed at the end.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/child_process.h"

namespace nanokit::bench {

// Where the hubs keep their history.
struct HubStore {
  bool durable = false;  // SQLite in the run's folder; else in memory
  std::string nats;      // set: on this NATS cluster (--nats), durable ignored
  int hubs = 1;          // more than one only with nats
};

class Servers {
 public:
  // cpus: where the servers run (bench/pinning.h); empty: anywhere.
  static absl::StatusOr<std::unique_ptr<Servers>> Start(const std::string& hub_binary, const HubStore& store,
                                                        const std::string& gateway_binary = "",
                                                        const std::vector<std::string>& gateway_flags = {},
                                                        const std::string& cpus = "");
  ~Servers();

  const std::string& token() const { return token_; }
  const std::string& hub_address() const { return hub_addresses_[0]; }
  const std::vector<std::string>& hub_addresses() const { return hub_addresses_; }
  std::vector<pid_t> hub_pids() const;
  const std::string& gateway_address() const { return gateway_address_; }
  pid_t hub_pid() const { return hubs_[0]->pid(); }
  pid_t gateway_pid() const { return gateway_ ? gateway_->pid() : 0; }
  const std::string& dir() const { return dir_; }
  // A gateway watching through target (e.g. several hubs, comma-separated).
  absl::Status StartGatewayOn(const std::string& gateway_binary, const std::string& target);
  // SIGKILL of hub i, as a crash.
  void KillHub(size_t i);
  // SIGKILL, as a crash; then the same gateway again on the same address.
  void KillGateway();
  absl::Status RestartGateway();

 private:
  Servers() = default;
  std::string dir_;
  std::string cpus_;
  std::string token_;
  std::vector<std::unique_ptr<ChildProcess>> hubs_;
  std::unique_ptr<ChildProcess> gateway_;
  std::string gateway_binary_;
  std::vector<std::string> gateway_args_;
  std::vector<std::string> hub_addresses_;
  std::string gateway_address_;
};

}  // namespace nanokit::bench
