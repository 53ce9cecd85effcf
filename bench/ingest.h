#pragma once
// `nanokit-bench ingest`: M publishers (core_client's HubPublisher, each its
// own gRPC stream) into one hub that the benchmark starts; events/s accepted
// and acknowledged (= committed), and the acknowledgement latency. With
// --nats-hubs, into hubs sharing a JetStream stream instead.

#include <cstdint>
#include <string>

namespace nanokit::bench {

struct IngestOptions {
  std::string hub_binary;
  // Where the hub runs (bench/pinning.h); empty: anywhere.
  std::string server_cpus;
  int publishers = 4;
  uint64_t events = 1000000;  // in all
  uint64_t resources = 1000;
  uint64_t window = 50000;  // unacknowledged events per publisher
  bool durable = false;     // else --in-memory
  // More than 0: that many hubs on one replicated stream of a 3-node NATS
  // cluster started for the run (replicas 3); publisher p goes to hub
  // p % nats_hubs.
  int nats_hubs = 0;
};

// Prints a report on stdout; the exit code.
int RunIngest(const IngestOptions& options);

}  // namespace nanokit::bench
