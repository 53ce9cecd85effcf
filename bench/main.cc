// nanokit-bench: load for the bridge's processes, measured. Each mode starts
// the servers it needs (from the build tree or next to this binary) and
// prints a report, with a final `RESULT key=value…` line for scripts.
//   nanokit-bench ingest   publishers -> hub

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "bench/ingest.h"
#include "common/flags.h"

namespace {

constexpr const char* kUsage =
    "Usage: nanokit-bench MODE [flags]\n"
    "\n"
    "Modes:\n"
    "  ingest   M publishers (core_client) into a hub: acknowledged events/s, ack latency.\n"
    "\n"
    "Run `nanokit-bench MODE --help` for the flags of a mode. Benchmarks, not tests:\n"
    "see bench/run for the standard set and BENCHMARKS.md for results.\n";

// The hub next to this binary: <build>/bench -> <build>/hub, or an installed bin/.
std::string FindBinary(const std::string& name, const std::string& build_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec).parent_path();
  for (const fs::path& candidate : {self / ".." / build_dir / name, self / name}) {
    if (fs::exists(candidate, ec)) return fs::weakly_canonical(candidate, ec).string();
  }
  return name;
}

int RunIngestCommand(int argc, char** argv) {
  nanokit::bench::IngestOptions options;
  options.hub_binary = FindBinary("nanokit-hub", "hub");
  uint64_t publishers = static_cast<uint64_t>(options.publishers);
  nanokit::FlagSet flags("nanokit-bench ingest", "[flags]");
  flags.Uint64("publishers", &publishers, "Publishers, each with its own stream to the hub.");
  flags.Uint64("events", &options.events, "Events in all.");
  flags.Uint64("resources", &options.resources, "Resources each publisher's status updates cycle through.");
  flags.Uint64("window", &options.window, "Unacknowledged events per publisher at most.");
  flags.Bool("durable", &options.durable, "The hub keeps its SQLite store (acknowledged = committed); else --in-memory.");
  flags.String("hub-bin", &options.hub_binary, "The nanokit-hub to run.");
  flags.ParseOrExit(argc, argv, 2);
  if (publishers == 0 || publishers > 1024 || options.events < publishers || options.window == 0) {
    std::cerr << "nanokit-bench ingest: need 1..1024 publishers, at least one event each, a window > 0\n";
    return 2;
  }
  options.publishers = static_cast<int>(publishers);
  return nanokit::bench::RunIngest(options);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  if (std::strcmp(argv[1], "ingest") == 0) return RunIngestCommand(argc, argv);
  if (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "help") == 0) {
    std::cout << kUsage;
    return 0;
  }
  std::cerr << "nanokit-bench: unknown mode \"" << argv[1] << "\" (see nanokit-bench --help)\n";
  return 2;
}
