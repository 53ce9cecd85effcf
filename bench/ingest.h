#pragma once
// `nanokit-bench ingest`: M publishers (core_client's HubPublisher, each its
// own gRPC stream) into one hub that the benchmark starts; events/s accepted
// and acknowledged (= committed), and the acknowledgement latency.

#include <cstdint>
#include <string>

namespace nanokit::bench {

struct IngestOptions {
  std::string hub_binary;
  int publishers = 4;
  uint64_t events = 1000000;  // in all
  uint64_t resources = 1000;
  uint64_t window = 50000;  // unacknowledged events per publisher
  bool durable = false;     // else --in-memory
};

// Prints a report on stdout; the exit code.
int RunIngest(const IngestOptions& options);

}  // namespace nanokit::bench
