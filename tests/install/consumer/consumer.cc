// Publishes one status update to a hub and waits for its acknowledgement:
// what the smallest core does. Usage: consumer HUB TOKEN_FILE PROJECT
#include <iostream>

#include "common/token.h"
#include "core_client/activity_manager.h"
#include "core_client/hub_publisher.h"
#include "nanokit/bridge/v1/events.pb.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: consumer HUB TOKEN_FILE PROJECT" << std::endl;
    return 2;
  }
  auto token = nanokit::LoadTokenFile(argv[2]);
  if (!token.ok()) {
    std::cerr << "consumer: " << token.status() << std::endl;
    return 2;
  }
  nanokit::client::ActivityManager activity(argv[3]);
  nanokit::client::HubPublisherOptions options;
  options.target = argv[1];
  options.token = *token;
  nanokit::client::HubPublisher publisher(std::move(options));
  publisher.Attach(&activity);
  activity.SetStatus("installed", nanokit::bridge::v1::HEALTHY, "built against an installed tree");
  if (!publisher.Flush(absl::Seconds(30))) {
    std::cerr << "consumer: the hub did not acknowledge the event" << std::endl;
    return 1;
  }
  std::cout << "acknowledged" << std::endl;
  return 0;
}
