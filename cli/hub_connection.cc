#include "cli/hub_connection.h"

#include <cstdlib>
#include <iostream>

#include "common/token.h"
#include "common/validate.h"

namespace nanokit::cli {

void HubConnectionFlags::Register(FlagSet& flags) {
  flags.String("hub", &hub, "The hub's address, HOST:PORT.");
  flags.String("token-file", &token_file, "File holding the shared token.");
  flags.Bool("insecure-no-auth", &insecure_no_auth, "Send no token (for a hub run with --insecure-no-auth).");
  flags.String("project", &project, "The project the events belong to.");
  flags.String("source", &source, "Name of this publisher; default HOST/PID/RANDOM.");
}

core::HubPublisherOptions HubConnectionFlags::PublisherOptionsOrExit(const char* program) const {
  if (!IsValidProjectName(project)) {
    std::cerr << program << ": --project: \"" << project << "\" is not a valid project name ([A-Za-z0-9._-], up to 128)"
              << std::endl;
    std::exit(2);
  }
  core::HubPublisherOptions options;
  options.target = hub;
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
