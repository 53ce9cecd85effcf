#include <iostream>
#include <string>

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/hub_connection.h"
#include "hub_client/hub_channel.h"
#include "nanokit/bridge/v1/watch.grpc.pb.h"

namespace nanokit::cli {

namespace v1 = nanokit::bridge::v1;

int RunSnapshot(int argc, char** argv) {
  HubConnectionFlags connection;
  absl::Duration timeout = absl::Seconds(10);
  FlagSet flags("nanokit snapshot",
                "[flags]\n\nPrints the hub's current state of --project as the proto3 JSON of a\n"
                "nanokit.bridge.v1.ProjectSnapshot, on one line.");
  connection.Register(flags);
  flags.Duration("timeout", &timeout, "How long to wait for the hub.");
  std::vector<std::string> args = flags.ParseOrExit(argc, argv, 2);
  if (!args.empty()) {
    std::cerr << "nanokit snapshot: unexpected argument \"" << args[0] << "\"" << std::endl;
    return 2;
  }
  client::HubPublisherOptions options = connection.PublisherOptionsOrExit("nanokit snapshot");

  auto stub = v1::WatchService::NewStub(CreateHubChannel(options.target, options.tls, 256 * 1024 * 1024));
  grpc::ClientContext context;
  if (!options.token.empty()) context.AddMetadata("authorization", absl::StrCat("Bearer ", options.token));
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  v1::GetSnapshotRequest request;
  request.set_project(connection.project);
  v1::ProjectSnapshot snapshot;
  grpc::Status status = stub->GetSnapshot(&context, request, &snapshot);
  if (!status.ok()) {
    std::cerr << "nanokit snapshot: the hub at " << options.target << ": " << status.error_message() << std::endl;
    return 1;
  }
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(snapshot, &json).ok()) return 1;
  std::cout << json << std::endl;
  return 0;
}

}  // namespace nanokit::cli
