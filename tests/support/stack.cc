#include "tests/support/stack.h"

#include <stdlib.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/token.h"
#include "gtest/gtest.h"

namespace nanokit::testing {

namespace v1 = nanokit::bridge::v1;

std::string HubBinary() { return NANOKIT_HUB_BIN; }
std::string GatewayBinary() { return NANOKIT_GATEWAY_BIN; }
std::string CliBinary() { return NANOKIT_CLI_BIN; }

TempDir::TempDir() {
  const char* base = getenv("TMPDIR");
  std::string pattern = absl::StrCat(base && *base ? base : "/tmp", "/nanokit-test-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) std::abort();
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::ReadFile(const std::string& name) const {
  std::ifstream in(File(name));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TestStack::TestStack() {
  token_ = *GenerateToken();
  (void)WriteTokenFile(token_file(), token_, false);
}

TestStack::~TestStack() {
  gateway_.reset();
  hub_.reset();
}

absl::StatusOr<uint16_t> TestStack::ReadListeningPort(ChildProcess* process, const std::string& prefix) {
  auto line = process->ReadLine(absl::Seconds(20));
  if (!line.ok()) return line.status();
  absl::string_view rest = *line;
  if (!absl::ConsumePrefix(&rest, prefix)) return absl::InternalError("unexpected first line: " + *line);
  auto colon = rest.rfind(':');
  uint32_t port = 0;
  if (colon == absl::string_view::npos || !absl::SimpleAtoi(rest.substr(colon + 1), &port)) {
    return absl::InternalError("no port in: " + *line);
  }
  return static_cast<uint16_t>(port);
}

absl::Status TestStack::StartHub(const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"--listen", hub_port_ ? hub_address() : "127.0.0.1:0", "--token-file",
                                   token_file()};
  args.insert(args.end(), extra.begin(), extra.end());
  auto process = ChildProcess::Start(HubBinary(), args, dir_.path(), dir_.File("hub.log"));
  if (!process.ok()) return process.status();
  hub_ = *std::move(process);
  auto port = ReadListeningPort(hub_.get(), "nanokit-hub listening on ");
  if (!port.ok()) return port.status();
  hub_port_ = *port;
  return absl::OkStatus();
}

absl::Status TestStack::StartGateway(const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"--listen",     gateway_port_ ? "127.0.0.1:" + std::to_string(gateway_port_)
                                                                 : "127.0.0.1:0",
                                   "--hub",        hub_address(),
                                   "--token-file", token_file()};
  args.insert(args.end(), extra.begin(), extra.end());
  auto process = ChildProcess::Start(GatewayBinary(), args, dir_.path(), dir_.File("gateway.log"));
  if (!process.ok()) return process.status();
  gateway_ = *std::move(process);
  auto port = ReadListeningPort(gateway_.get(), "nanokit-gateway listening on ");
  if (!port.ok()) return port.status();
  gateway_port_ = *port;
  return absl::OkStatus();
}

std::optional<int> TestStack::StopHub(int sig) {
  if (!hub_) return std::nullopt;
  hub_->Signal(sig);
  return hub_->Wait(absl::Seconds(10));
}

std::optional<int> TestStack::StopGateway(int sig) {
  if (!gateway_) return std::nullopt;
  gateway_->Signal(sig);
  return gateway_->Wait(absl::Seconds(10));
}

CommandResult TestStack::Nanokit(std::vector<std::string> args) {
  args.insert(args.end(), {"--hub", hub_address(), "--token-file", token_file()});
  return RunCommand(CliBinary(), args, dir_.path());
}

absl::StatusOr<std::unique_ptr<ChildProcess>> TestStack::StartDemo(const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"demo", "--hub", hub_address(), "--token-file", token_file()};
  args.insert(args.end(), extra.begin(), extra.end());
  return ChildProcess::Start(CliBinary(), args, dir_.path(), dir_.File("demo.log"));
}

absl::StatusOr<std::unique_ptr<WsClient>> TestStack::ConnectClient(WsConnectOptions options) {
  if (options.token.empty()) options.token = token_;
  auto client = std::make_unique<WsClient>();
  if (auto status = client->Connect("127.0.0.1", gateway_port_, options); !status.ok()) return status;
  return client;
}

std::shared_ptr<grpc::Channel> TestStack::HubChannel() {
  return grpc::CreateChannel(hub_address(), grpc::InsecureChannelCredentials());
}

void TestStack::Authorize(grpc::ClientContext* context) const {
  context->AddMetadata("authorization", "Bearer " + token_);
}

absl::StatusOr<v1::ProjectSnapshot> TestStack::GetSnapshot(const std::string& project) {
  return testing::GetSnapshot(HubChannel(), token_, project);
}

absl::StatusOr<v1::ProjectSnapshot> GetSnapshot(const std::shared_ptr<grpc::Channel>& channel,
                                                const std::string& token, const std::string& project) {
  auto stub = v1::WatchService::NewStub(channel);
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::GetSnapshotRequest request;
  request.set_project(project);
  v1::ProjectSnapshot snapshot;
  grpc::Status status = stub->GetSnapshot(&context, request, &snapshot);
  if (!status.ok()) return absl::UnavailableError(status.error_message());
  return snapshot;
}

std::vector<v1::Event> HubHistory(TestStack& stack, const std::string& project, const std::string& epoch,
                                  uint64_t upto) {
  return HubHistory(stack.HubChannel(), stack.token(), project, epoch, upto);
}

std::vector<v1::Event> HubHistory(const std::shared_ptr<grpc::Channel>& channel, const std::string& token,
                                  const std::string& project, const std::string& epoch, uint64_t upto) {
  auto stub = v1::WatchService::NewStub(channel);
  grpc::ClientContext context;
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  v1::WatchRequest request;
  request.set_project(project);
  request.set_epoch(epoch);
  request.set_after_seq(0);
  auto reader = stub->Watch(&context, request);
  std::vector<v1::Event> events;
  v1::WatchResponse response;
  while ((events.empty() || events.back().seq() < upto) && reader->Read(&response)) {
    if (response.has_snapshot()) {
      ADD_FAILURE() << "the hub's history does not reach back to seq 1";
      break;
    }
    for (const v1::Event& e : response.events().events()) events.push_back(e);
  }
  context.TryCancel();
  return events;
}

size_t ResidentBytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view view = line;
    if (absl::ConsumePrefix(&view, "VmRSS:")) {
      view = absl::StripAsciiWhitespace(view);
      absl::ConsumeSuffix(&view, " kB");
      size_t kb = 0;
      if (absl::SimpleAtoi(view, &kb)) return kb * 1024;
    }
  }
  return 0;
}

}  // namespace nanokit::testing
