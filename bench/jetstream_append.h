#pragma once
// `nanokit-bench jetstream`: what a hub could get from a replicated
// JetStream store on this machine, before the hub uses one (issue 14). K
// streams on an N-node nats-server cluster (replicas R), one writer each,
// appending batches of B events with the expected-last-sequence check, one
// append in flight per stream (as one hub commits per stream): appends/s and
// events/s acknowledged by a majority, their latency, the servers' CPU;
// then the cluster idle with the K streams, for what each stream (one Raft
// group) costs in memory and CPU.

#include <cstdint>
#include <string>

#include "absl/time/time.h"

namespace nanokit::bench {

struct JetStreamAppendOptions {
  int nodes = 3;
  int replicas = 3;
  int streams = 1;
  uint64_t batch_events = 1000;  // events per appended message
  uint64_t event_bytes = 200;    // about a status update with a message
  absl::Duration duration = absl::Seconds(5);
  absl::Duration idle = absl::Seconds(5);
};

int RunJetStreamAppend(const JetStreamAppendOptions& options);

}  // namespace nanokit::bench
