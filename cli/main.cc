// nanokit: the CLI side of the bridge, built on core_client.
//   nanokit init   write the project's token
//   nanokit emit   publish one event from a shell script
//   nanokit demo   a simulated core that reconciles a few services forever
//   nanokit publish  publish events given as JSON lines
//   nanokit snapshot print the hub's state of a project
//   nanokit token  create, list and revoke scoped tokens
//   nanokit up     a hub and a gateway for local use, until Ctrl-C

#include <cstring>
#include <iostream>

#include "cli/commands.h"

namespace {

constexpr const char* kUsage =
    "Usage: nanokit COMMAND [flags]\n"
    "\n"
    "Commands:\n"
    "  up        Run a hub and a gateway here (data in .nanokit/) until Ctrl-C; --demo adds a simulated core.\n"
    "  init      Write a new token to .nanokit/token (mode 0600).\n"
    "  emit      Publish one event: status, remove, log, reconcile-start, reconcile-end.\n"
    "  demo      Run a simulated core that reconciles a few services until stopped.\n"
    "  publish   Publish events read from stdin as JSON lines (proto3 JSON of Event).\n"
    "  snapshot  Print the hub's state of a project as JSON.\n"
    "  token     Create, list or revoke scoped tokens (publisher or viewer, per project).\n"
    "\n"
    "Run `nanokit COMMAND --help` for the flags of a command.\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  const char* command = argv[1];
  if (std::strcmp(command, "up") == 0) return nanokit::cli::RunUp(argc, argv);
  if (std::strcmp(command, "init") == 0) return nanokit::cli::RunInit(argc, argv);
  if (std::strcmp(command, "emit") == 0) return nanokit::cli::RunEmit(argc, argv);
  if (std::strcmp(command, "demo") == 0) return nanokit::cli::RunDemo(argc, argv);
  if (std::strcmp(command, "publish") == 0) return nanokit::cli::RunPublish(argc, argv);
  if (std::strcmp(command, "snapshot") == 0) return nanokit::cli::RunSnapshot(argc, argv);
  if (std::strcmp(command, "token") == 0) return nanokit::cli::RunToken(argc, argv);
  if (std::strcmp(command, "--help") == 0 || std::strcmp(command, "-h") == 0 || std::strcmp(command, "help") == 0) {
    std::cout << kUsage;
    return 0;
  }
  std::cerr << "nanokit: unknown command \"" << command << "\" (see nanokit --help)" << std::endl;
  return 2;
}
