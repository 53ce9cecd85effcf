#include <iostream>
#include <string>

#include <google/protobuf/util/json_util.h>

#include "cli/commands.h"
#include "cli/hub_connection.h"
#include "protocol/proto_time.h"
#include "protocol/validate.h"

namespace nanokit::cli {

namespace v1 = nanokit::bridge::v1;

namespace {

constexpr const char* kUsage =
    "[flags] < EVENTS.jsonl\n"
    "\n"
    "Publishes events read from stdin, one per line, each the proto3 JSON of a\n"
    "nanokit.bridge.v1.Event, e.g.\n"
    "  {\"statusUpdate\":{\"resourceId\":\"web\",\"status\":\"HEALTHY\"}}\n"
    "An event without \"project\" gets --project; one without \"emittedAt\" gets\n"
    "the time it was read. Blank lines are skipped. A line that does not parse\n"
    "stops the command (exit 2) before anything after it is published.\n"
    "Exits 0 once the hub has acknowledged every event, 1 if it did not within --timeout.";

}  // namespace

int RunPublish(int argc, char** argv) {
  HubConnectionFlags connection;
  absl::Duration timeout = absl::Seconds(30);
  FlagSet flags("nanokit publish", kUsage);
  connection.Register(flags);
  flags.Duration("timeout", &timeout, "How long to wait for the hub's acknowledgements after the last line.");
  std::vector<std::string> args = flags.ParseOrExit(argc, argv, 2);
  if (!args.empty()) {
    std::cerr << "nanokit publish: unexpected argument \"" << args[0] << "\"" << std::endl;
    return 2;
  }

  client::HubPublisher publisher(connection.PublisherOptionsOrExit("nanokit publish"));
  std::string line;
  uint64_t line_number = 0, published = 0;
  google::protobuf::util::JsonParseOptions parse_options;
  while (std::getline(std::cin, line)) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    v1::Event event;
    auto status = google::protobuf::util::JsonStringToMessage(line, &event, parse_options);
    if (status.ok() && event.project().empty()) event.set_project(connection.project);
    absl::Status valid = status.ok() ? ValidatePublishedEvent(event) : absl::OkStatus();
    if (!status.ok() || !valid.ok()) {
      std::cerr << "nanokit publish: line " << line_number << ": "
                << (status.ok() ? std::string(valid.message()) : status.message().as_string()) << std::endl;
      publisher.Flush(timeout);
      return 2;
    }
    if (!event.has_emitted_at()) *event.mutable_emitted_at() = NowTimestamp();
    publisher.Publish(std::move(event));
    ++published;
  }
  if (!publisher.Flush(timeout)) {
    std::cerr << "nanokit publish: the hub at " << connection.hub << " did not acknowledge " << published
              << " events within " << absl::FormatDuration(timeout) << std::endl;
    return 1;
  }
  return 0;
}

}  // namespace nanokit::cli
