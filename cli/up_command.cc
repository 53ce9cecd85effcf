// nanokit up: a hub and a gateway for local use in one command, the way
// `tilt up` or `docker compose up` work: the token is created if there is
// none, both servers start as child processes with their data in .nanokit/,
// the dashboard's link is printed, and Ctrl-C stops both. With --demo the
// simulated core (`nanokit demo`) publishes to them too.
//
// The servers are the installed binaries next to this one (or, in a build
// tree, in their own folders): `up` starts them with flags and adds
// nothing of its own, so what runs is what production runs.

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "common/address.h"
#include "common/child_process.h"
#include "common/flags.h"
#include "common/program_path.h"
#include "common/token.h"

namespace nanokit::cli {

namespace fs = std::filesystem;

namespace {

struct Server {
  std::string name;
  std::unique_ptr<ChildProcess> process;
};

// Starts a server and reads the address from its first stdout line
// ("<name> listening on HOST:PORT"); the servers' logs stay on our stderr.
absl::StatusOr<std::string> StartServer(const std::string& binary, const std::vector<std::string>& args,
                                        std::vector<Server>* servers) {
  const std::string name = fs::path(binary).filename().string();
  auto child = ChildProcess::Start(binary, args, "", "", /*terminate_with_parent=*/true);
  if (!child.ok()) return child.status();
  servers->push_back({name, *std::move(child)});
  auto line = servers->back().process->ReadLine(absl::Seconds(60));
  if (!line.ok()) return absl::UnavailableError(absl::StrCat(name, " did not start (its log is above)"));
  const std::string prefix = name + " listening on ";
  if (line->rfind(prefix, 0) != 0) return absl::InternalError(absl::StrCat(name, " printed \"", *line, "\""));
  return line->substr(prefix.size());
}

// Stops the servers in the reverse order of their start (the demo core, the
// gateway, then the hub, which commits what it holds before it exits).
void StopAll(std::vector<Server>& servers) {
  for (auto it = servers.rbegin(); it != servers.rend(); ++it) {
    it->process->Signal(SIGTERM);
    if (!it->process->Wait(absl::Seconds(10))) {
      std::cerr << "nanokit up: " << it->name << " did not stop within 10s; killing it" << std::endl;
    }
  }
  servers.clear();  // ~ChildProcess kills what is still running
}

}  // namespace

int RunUp(int argc, char** argv) {
  std::string dir = ".nanokit";
  std::string hub_listen = kDefaultHubAddress;
  std::string gateway_listen = kDefaultGatewayAddress;
  bool demo = false;
  std::string project = "demo";
  FlagSet flags("nanokit up", "[flags]");
  flags.String("dir", &dir, "Folder of the token, the scoped tokens and the hub's data; created if missing.");
  flags.String("hub-listen", &hub_listen, "The hub's gRPC address, HOST:PORT; port 0 picks a free port.");
  flags.String("gateway-listen", &gateway_listen,
               "The dashboard's address, HOST:PORT; port 0 picks a free port.");
  flags.Bool("demo", &demo, "Also run the simulated core (`nanokit demo`), publishing to --project.");
  flags.String("project", &project, "The project the dashboard link opens (and the demo publishes).");
  flags.ParseOrExit(argc, argv, 2);

  const std::string hub_binary = FindProgram("nanokit-hub", "hub");
  const std::string gateway_binary = FindProgram("nanokit-gateway", "ws_gateway");
  if (hub_binary.empty() || gateway_binary.empty()) {
    std::cerr << "nanokit up: cannot find " << (hub_binary.empty() ? "nanokit-hub" : "nanokit-gateway")
              << " next to this program or on PATH" << std::endl;
    return 1;
  }
  const std::string token_file = (fs::path(dir) / "token").string();
  const std::string credentials_file = (fs::path(dir) / "credentials").string();
  std::error_code exists_error;
  if (!fs::exists(token_file, exists_error)) {
    auto token = GenerateToken();
    absl::Status written = token.ok() ? WriteTokenFile(token_file, *token, false) : token.status();
    if (!written.ok()) {
      std::cerr << "nanokit up: " << written.message() << std::endl;
      return 1;
    }
    std::cout << "wrote a new token to " << token_file << " (mode 0600)" << std::endl;
  }
  auto token = LoadTokenFile(token_file);
  if (!token.ok()) {
    std::cerr << "nanokit up: " << token.status().message() << std::endl;
    return 1;
  }

  // Blocked before the children start (they unblock their own), so that
  // Ctrl-C, a closed terminal or a child's exit all wake the wait below.
  sigset_t wake;
  sigemptyset(&wake);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGCHLD}) sigaddset(&wake, sig);
  sigprocmask(SIG_BLOCK, &wake, nullptr);

  std::vector<Server> servers;
  auto hub = StartServer(hub_binary,
                         {"--listen", hub_listen, "--token-file", token_file, "--credentials", credentials_file,
                          "--data-dir", (fs::path(dir) / "hub").string()},
                         &servers);
  absl::StatusOr<std::string> gateway = absl::FailedPreconditionError("the hub did not start");
  if (hub.ok()) {
    gateway = StartServer(gateway_binary,
                          {"--listen", gateway_listen, "--hub", *hub, "--token-file", token_file, "--credentials",
                           credentials_file},
                          &servers);
  }
  absl::Status started = hub.ok() ? gateway.status() : hub.status();
  if (started.ok() && demo) {
    auto core = ChildProcess::Start(ThisProgram(),
                                    {"demo", "--hub", *hub, "--token-file", token_file, "--project", project,
                                     "--gateway", ""},
                                    "", "", /*terminate_with_parent=*/true);
    if (core.ok()) {
      servers.push_back({"nanokit demo", *std::move(core)});
    } else {
      started = core.status();
    }
  }
  if (!started.ok()) {
    std::cerr << "nanokit up: " << started.message() << std::endl;
    StopAll(servers);
    return 1;
  }

  // The token travels in the link's fragment, which a browser never sends
  // to a server; it goes to this terminal only, never to a log.
  std::cout << "nanokit up: hub on " << *hub << ", gateway on " << *gateway << ", data in " << dir << "/"
            << (demo ? ", demo core publishing to project " + project : "") << "\n"
            << "Open the dashboard: http://" << *gateway << "/#token=" << *token << "&project=" << project << "\n"
            << "Press Ctrl-C to stop." << std::endl;

  int exit_code = 0;
  while (true) {
    timespec tick{1, 0};
    siginfo_t info;
    const int sig = sigtimedwait(&wake, &info, &tick);
    if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) break;
    bool one_exited = false;
    for (Server& server : servers) {
      if (!server.process->running()) {
        std::cerr << "nanokit up: " << server.name << " exited with code " << *server.process->Wait(absl::ZeroDuration())
                  << "; stopping the others" << std::endl;
        one_exited = true;
      }
    }
    if (one_exited) {
      exit_code = 1;
      break;
    }
  }
  std::cout << "nanokit up: stopping" << std::endl;
  StopAll(servers);
  return exit_code;
}

}  // namespace nanokit::cli
