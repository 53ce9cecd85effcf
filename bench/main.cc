// nanokit-bench: load for the bridge's processes, measured. Each mode starts
// the servers it needs (from the build tree or next to this binary) and
// prints a report, with a final `RESULT key=value…` line for scripts.
//   nanokit-bench ingest   publishers -> hub
//   nanokit-bench fanout   a core -> hub -> gateway -> K WebSocket clients
//   nanokit-bench idle     N idle subscribed connections
//   nanokit-bench storm    N clients resyncing after a gateway restart
//   nanokit-bench jetstream appends to replicated JetStream streams (the base of issue 14)
//   nanokit-bench failover  a hub or a NATS node killed under two hubs: the dashboard's freeze

#include <cstdio>
#include <cstring>
#include <iostream>

#include "bench/failover.h"
#include "bench/fanout.h"
#include "bench/idle.h"
#include "bench/ingest.h"
#include "bench/jetstream_append.h"
#include "bench/pinning.h"
#include "bench/storm.h"
#include "common/flags.h"
#include "common/program_path.h"

namespace {

constexpr const char* kUsage =
    "Usage: nanokit-bench MODE [flags]\n"
    "\n"
    "Modes:\n"
    "  ingest   M publishers (core_client) into a hub: acknowledged events/s, ack latency.\n"
    "  fanout   a core at a fixed rate, K WebSocket clients: delivered events/s, end-to-end latency.\n"
    "  idle     N idle subscribed connections: the server's memory per connection.\n"
    "  storm    N clients, the gateway killed and restarted: time until all have their snapshot.\n"
    "  jetstream  K streams on a local nats-server cluster: batched appends/s acknowledged by a majority.\n"
    "  failover   two hubs on one stream, a hub or the stream's leader killed: how long a dashboard freezes.\n"
    "\n"
    "fanout and idle also measure the peers, side by side: --server ws|nats.\n"
    "\n"
    "Run `nanokit-bench MODE --help` for the flags of a mode. Benchmarks, not tests:\n"
    "see bench/run for the standard set and BENCHMARKS.md for results.\n";

// Our servers beside this binary (an installed bin/) or in the build tree;
// by name (PATH) if neither.
std::string FindBinary(const std::string& name, const std::string& build_folder) {
  std::string found = nanokit::FindProgram(name, build_folder);
  return found.empty() ? name : found;
}

void AddCpuFlags(nanokit::FlagSet& flags, std::string* server_cpus, std::string* tool_cpus) {
  flags.String("server-cpus", server_cpus,
               "CPUs the servers run on (taskset list: 0, 0-1, 0,2); empty: any. With --tool-cpus, keeps the load "
               "tool's work from queueing behind the servers'.");
  flags.String("tool-cpus", tool_cpus, "CPUs this load tool runs on; empty: any.");
}

// Pins this process (before any thread starts); false with a message.
bool PinTool(const std::string& cpus) {
  if (auto status = nanokit::bench::PinThisProcess(cpus); !status.ok()) {
    std::cerr << "nanokit-bench: --tool-cpus: " << status.message() << "\n";
    return false;
  }
  return true;
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
  flags.Bool("durable", &options.durable,
             "The hub keeps its SQLite store (acknowledged = committed); else --in-memory.");
  uint64_t nats_hubs = 0;
  flags.Uint64("nats-hubs", &nats_hubs,
               "Hubs on one replicated JetStream stream of a 3-node nats-server cluster started for the run "
               "(0: one hub, --durable or in memory).");
  flags.String("hub-bin", &options.hub_binary, "The nanokit-hub to run.");
  std::string tool_cpus;
  AddCpuFlags(flags, &options.server_cpus, &tool_cpus);
  flags.ParseOrExit(argc, argv, 2);
  if (!PinTool(tool_cpus)) return 2;
  if (nats_hubs > 8) {
    std::cerr << "nanokit-bench ingest: --nats-hubs: at most 8\n";
    return 2;
  }
  options.nats_hubs = static_cast<int>(nats_hubs);
  if (publishers == 0 || publishers > 1024 || options.events < publishers || options.window == 0) {
    std::cerr << "nanokit-bench ingest: need 1..1024 publishers, at least one event each, a window > 0\n";
    return 2;
  }
  options.publishers = static_cast<int>(publishers);
  return nanokit::bench::RunIngest(options);
}

// Flags every mode with WebSocket clients shares.
struct TargetFlags {
  std::string server = "nanokit";
  uint64_t gateway_threads = 2;
  std::string tool_cpus;
  std::string heartbeat_interval;
  nanokit::bench::TargetOptions target;

  explicit TargetFlags(nanokit::FlagSet& flags, bool peers = true) {
    target.hub_binary = FindBinary("nanokit-hub", "hub");
    target.gateway_binary = FindBinary("nanokit-gateway", "ws_gateway");
    target.peers_dir = NANOKIT_SOURCE_DIR "/bench/peers";
    if (peers) {
      flags.String("server", &server,
                   "What to measure: nanokit (hub + gateway), ws (Node.js `ws` broadcast server) or nats "
                   "(nats-server's WebSocket listener).");
      flags.String("peers-dir", &target.peers_dir, "Where ws-broadcast.mjs is.");
    }
    flags.Uint64("gateway-threads", &gateway_threads, "The gateway's --threads.");
    flags.String("heartbeat-interval", &heartbeat_interval, "The gateway's --heartbeat-interval; empty: its default.");
    flags.String("hub-bin", &target.hub_binary, "The nanokit-hub to run.");
    flags.String("gateway-bin", &target.gateway_binary, "The nanokit-gateway to run.");
    AddCpuFlags(flags, &target.server_cpus, &tool_cpus);
  }
  // After parsing; false (with a message) if a value is wrong.
  bool Finish(nanokit::bench::ServerKind* kind) {
    auto parsed = nanokit::bench::ParseServerKind(server);
    if (!parsed.ok()) {
      std::cerr << "nanokit-bench: " << parsed.status().message() << "\n";
      return false;
    }
    if (gateway_threads == 0 || gateway_threads > 256) {
      std::cerr << "nanokit-bench: --gateway-threads must be 1 to 256\n";
      return false;
    }
    *kind = *parsed;
    target.gateway_flags = {"--threads", std::to_string(gateway_threads)};
    if (!heartbeat_interval.empty()) {
      target.gateway_flags.insert(target.gateway_flags.end(), {"--heartbeat-interval", heartbeat_interval});
    }
    return PinTool(tool_cpus);
  }
};

int RunFanoutCommand(int argc, char** argv) {
  nanokit::bench::FanoutOptions options;
  absl::Duration duration = absl::Seconds(10);
  nanokit::FlagSet flags("nanokit-bench fanout", "[flags]");
  TargetFlags target(flags);
  flags.Uint64("clients", &options.clients, "WebSocket clients subscribed to the project.");
  flags.Uint64("rate", &options.rate, "Events published per second.");
  flags.Uint64("resources", &options.resources, "Resources the events are spread over.");
  flags.Duration("duration", &duration, "How long to measure (after one second of warm-up).");
  flags.Uint64("projects", &target.target.projects,
               "Projects the events and the clients are spread over (client i subscribes to project i mod P); "
               "ours only.");
  flags.ParseOrExit(argc, argv, 2);
  if (!target.Finish(&options.server)) return 2;
  if (options.clients == 0 || options.rate == 0 || options.resources == 0 || target.target.projects == 0) {
    std::cerr << "nanokit-bench fanout: clients, rate, resources and projects must be positive\n";
    return 2;
  }
  if (target.target.projects > 1 && options.server != nanokit::bench::ServerKind::kNanokit) {
    std::cerr << "nanokit-bench fanout: --projects is for our gateway only\n";
    return 2;
  }
  options.target = target.target;
  options.seconds = absl::ToDoubleSeconds(duration);
  return nanokit::bench::RunFanout(options);
}

int RunIdleCommand(int argc, char** argv) {
  nanokit::bench::IdleOptions options;
  nanokit::FlagSet flags("nanokit-bench idle", "[flags]");
  TargetFlags target(flags);
  flags.Uint64("connections", &options.connections,
               "Idle subscribed connections (at most what the open-file limit allows; the report says so).");
  flags.Duration("settle", &options.settle, "After connecting, before measuring (at least a heartbeat interval).");
  flags.Duration("measure", &options.measure, "How long the server's idle CPU is measured.");
  flags.ParseOrExit(argc, argv, 2);
  if (!target.Finish(&options.server)) return 2;
  if (options.connections == 0 || options.measure <= absl::ZeroDuration()) {
    std::cerr << "nanokit-bench idle: connections and --measure must be positive\n";
    return 2;
  }
  options.target = target.target;
  return nanokit::bench::RunIdle(options);
}

int RunStormCommand(int argc, char** argv) {
  nanokit::bench::StormOptions options;
  nanokit::FlagSet flags("nanokit-bench storm", "[flags]");
  TargetFlags target(flags, false);
  flags.Uint64("clients", &options.clients, "Subscribed clients that reconnect when the gateway restarts.");
  flags.Uint64("resources", &options.resources, "Resources in the project (the snapshot's size).");
  flags.ParseOrExit(argc, argv, 2);
  nanokit::bench::ServerKind kind;
  if (!target.Finish(&kind)) return 2;
  if (options.clients == 0 || options.resources == 0) {
    std::cerr << "nanokit-bench storm: clients and resources must be positive\n";
    return 2;
  }
  options.target = target.target;
  return nanokit::bench::RunStorm(options);
}

int RunFailoverCommand(int argc, char** argv) {
  nanokit::bench::FailoverOptions options;
  options.hub_binary = FindBinary("nanokit-hub", "hub");
  options.gateway_binary = FindBinary("nanokit-gateway", "ws_gateway");
  nanokit::FlagSet flags("nanokit-bench failover", "[flags]");
  flags.String("kill", &options.kill, "What dies: hub (the one in use) or nats-leader (the stream's leader).");
  flags.Duration("interval", &options.interval, "Between two events of the core.");
  flags.Duration("before", &options.before, "Flow before the kill.");
  flags.Duration("after", &options.after, "Flow after the kill.");
  flags.ParseOrExit(argc, argv, 2);
  return nanokit::bench::RunFailover(options);
}

int RunJetStreamCommand(int argc, char** argv) {
  nanokit::bench::JetStreamAppendOptions options;
  uint64_t nodes = static_cast<uint64_t>(options.nodes);
  uint64_t replicas = static_cast<uint64_t>(options.replicas);
  uint64_t streams = static_cast<uint64_t>(options.streams);
  nanokit::FlagSet flags("nanokit-bench jetstream", "[flags]");
  flags.Uint64("nodes", &nodes, "nats-server processes in the cluster.");
  flags.Uint64("replicas", &replicas, "Replicas of each stream.");
  flags.Uint64("streams", &streams, "Streams, one writer each.");
  flags.Uint64("batch", &options.batch_events, "Events per appended message.");
  flags.Uint64("event-bytes", &options.event_bytes, "Bytes per event.");
  flags.Duration("duration", &options.duration, "How long the writers append.");
  flags.Duration("idle", &options.idle, "How long the cluster is then watched at rest.");
  flags.ParseOrExit(argc, argv, 2);
  if (nodes == 0 || nodes > 5 || replicas == 0 || replicas > nodes || streams == 0 || streams > 1000 ||
      options.batch_events == 0 || options.batch_events * options.event_bytes > 1024 * 1024) {
    std::cerr << "nanokit-bench jetstream: need 1..5 nodes, 1..nodes replicas, 1..1000 streams, and a batch of "
                 "at most 1 MiB (the servers' max payload)\n";
    return 2;
  }
  options.nodes = static_cast<int>(nodes);
  options.replicas = static_cast<int>(replicas);
  options.streams = static_cast<int>(streams);
  return nanokit::bench::RunJetStreamAppend(options);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  if (std::strcmp(argv[1], "ingest") == 0) return RunIngestCommand(argc, argv);
  if (std::strcmp(argv[1], "fanout") == 0) return RunFanoutCommand(argc, argv);
  if (std::strcmp(argv[1], "idle") == 0) return RunIdleCommand(argc, argv);
  if (std::strcmp(argv[1], "storm") == 0) return RunStormCommand(argc, argv);
  if (std::strcmp(argv[1], "jetstream") == 0) return RunJetStreamCommand(argc, argv);
  if (std::strcmp(argv[1], "failover") == 0) return RunFailoverCommand(argc, argv);
  if (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "help") == 0) {
    std::cout << kUsage;
    return 0;
  }
  std::cerr << "nanokit-bench: unknown mode \"" << argv[1] << "\" (see nanokit-bench --help)\n";
  return 2;
}
