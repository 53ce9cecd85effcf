#pragma once
// The real processes of the bridge, started for one test in a temporary
// folder with its own token: nanokit-hub and nanokit-gateway on port 0, and
// helpers to talk to them.

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "nanokit/bridge/v1/ingest.grpc.pb.h"
#include "nanokit/bridge/v1/watch.grpc.pb.h"
#include "common/child_process.h"
#include "tests/support/ws_client.h"

namespace nanokit::testing {

// Paths of the binaries under test.
std::string HubBinary();
std::string GatewayBinary();
std::string CliBinary();

// A fresh folder under the temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  std::string ReadFile(const std::string& name) const;

 private:
  std::string path_;
};

class TestStack {
 public:
  TestStack();
  ~TestStack();

  const TempDir& dir() const { return dir_; }
  const std::string& token() const { return token_; }
  std::string token_file() const { return dir_.File(".nanokit/token"); }

  // Start (or restart) a process; its extra flags are appended.
  absl::Status StartHub(const std::vector<std::string>& extra = {});
  absl::Status StartGateway(const std::vector<std::string>& extra = {});
  ChildProcess* hub() { return hub_.get(); }
  ChildProcess* gateway() { return gateway_.get(); }
  // Stops with a signal and returns the exit code (nullopt if it hung).
  std::optional<int> StopHub(int sig);
  std::optional<int> StopGateway(int sig);

  uint16_t hub_port() const { return hub_port_; }
  uint16_t gateway_port() const { return gateway_port_; }
  std::string hub_address() const { return "127.0.0.1:" + std::to_string(hub_port_); }
  std::string HubLog() const { return dir_.ReadFile("hub.log"); }
  std::string GatewayLog() const { return dir_.ReadFile("gateway.log"); }

  // Runs `nanokit ARGS... --hub ... --token-file ...` in the stack's folder.
  CommandResult Nanokit(std::vector<std::string> args);
  // Starts `nanokit demo` against the hub.
  absl::StatusOr<std::unique_ptr<ChildProcess>> StartDemo(const std::vector<std::string>& extra = {});

  // A WebSocket client authenticated with the token.
  absl::StatusOr<std::unique_ptr<WsClient>> ConnectClient(WsConnectOptions options = {});

  std::shared_ptr<grpc::Channel> HubChannel();
  // The hub's state of project, asked with the stack's token.
  absl::StatusOr<bridge::v1::ProjectSnapshot> GetSnapshot(const std::string& project);
  void Authorize(grpc::ClientContext* context) const;

 private:
  absl::StatusOr<uint16_t> ReadListeningPort(ChildProcess* process, const std::string& prefix);

  TempDir dir_;
  std::string token_;
  std::unique_ptr<ChildProcess> hub_;
  std::unique_ptr<ChildProcess> gateway_;
  uint16_t hub_port_ = 0;
  uint16_t gateway_port_ = 0;
  std::vector<std::string> hub_flags_;
};

// Every event the hub holds for project, read back through Watch from seq 0
// in (epoch), up to seq upto. Fails the test if the hub answers with a
// snapshot instead (its history no longer reaches back to seq 1).
std::vector<bridge::v1::Event> HubHistory(TestStack& stack, const std::string& project, const std::string& epoch,
                                          uint64_t upto);
// The same from a hub on any channel, with this token.
std::vector<bridge::v1::Event> HubHistory(const std::shared_ptr<grpc::Channel>& channel, const std::string& token,
                                          const std::string& project, const std::string& epoch, uint64_t upto);

// Reads the resident set size of a process, in bytes.
size_t ResidentBytes(pid_t pid);

// GetSnapshot of a hub on any channel (another stack's, a TLS one), with
// this token.
absl::StatusOr<bridge::v1::ProjectSnapshot> GetSnapshot(const std::shared_ptr<grpc::Channel>& channel,
                                                        const std::string& token, const std::string& project);

}  // namespace nanokit::testing
