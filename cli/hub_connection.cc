#include "cli/hub_connection.h"

#include <cstdlib>
#include <iostream>

#include "common/token.h"
#include "protocol/names.h"

namespace nanokit::cli {

void HubConnectionFlags::Register(FlagSet& flags) {
  flags.String("hub", &hub,
               "The hub's address, HOST:PORT; several hubs (IP addresses), comma-separated: the first that answers, "
               "the next when it goes.");
  RegisterHubTlsFlags(flags, &tls);
  flags.String("token-file", &token_file, "File holding the shared token.");
  flags.Bool("insecure-no-auth", &insecure_no_auth, "Send no token (for a hub run with --insecure-no-auth).");
  flags.String("project", &project, "The project the events belong to.");
  flags.String("source", &source, "Name of this publisher; default HOST/PID/RANDOM.");
}

client::HubPublisherOptions HubConnectionFlags::PublisherOptionsOrExit(const char* program) const {
  if (auto status = protocol::CheckProjectName(project); !status.ok()) {
    std::cerr << program << ": --project: " << status.message() << std::endl;
    std::exit(2);
  }
  if (auto status = CheckHubTls(tls); !status.ok()) {
    std::cerr << program << ": " << status.message() << std::endl;
    std::exit(2);
  }
  if (auto target = HubTarget(hub, tls); !target.ok()) {
    std::cerr << program << ": " << target.status().message() << std::endl;
    std::exit(2);
  }
  client::HubPublisherOptions options;
  options.target = hub;
  options.tls = tls;
  options.source = source;
  if (!insecure_no_auth) {
    auto token = LoadTokenFile(token_file);
    if (!token.ok()) {
      std::cerr << program << ": --token-file: " << token.status().message() << std::endl;
      std::exit(2);
    }
    options.token = *std::move(token);
  }
  return options;
}

}  // namespace nanokit::cli
