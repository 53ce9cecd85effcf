#pragma once
// Keeping the load tool and the servers it measures on separate CPUs
// (--server-cpus, --tool-cpus). On a small machine the tool's clients
// otherwise wait for the same cores as the servers, and part of the latency
// a run measures is the tool's own.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/child_process.h"

namespace nanokit::bench {

// Pins this process to cpus ("1", "0-1", "0,2"; empty: nothing). Call
// before any thread starts: threads inherit it.
absl::Status PinThisProcess(const std::string& cpus);

// ChildProcess::Start of binary, on cpus (through taskset) unless empty.
absl::StatusOr<std::unique_ptr<ChildProcess>> StartOnCpus(const std::string& cpus, const std::string& binary,
                                                          const std::vector<std::string>& args,
                                                          const std::string& dir, const std::string& log_file);

}  // namespace nanokit::bench
