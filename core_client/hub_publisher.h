#pragma once
// Streams a core's events to the hub over IngestService.Publish.
//
// Publish() only queues: the caller's thread never waits on the network.
// Events stay in a bounded buffer until the hub acknowledges them; on a
// broken stream the publisher reconnects with exponential backoff and
// jitter and resends everything unacknowledged (the hub drops what it had
// already accepted, by source_seq).

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/address.h"
#include "core_client/activity_manager.h"
#include "core_client/publish_buffer.h"
#include "core_client/publisher.h"
#include "hub_client/hub_channel.h"
#include "nanokit/bridge/v1/ingest.grpc.pb.h"

namespace nanokit::client {

struct HubPublisherOptions {
  // HOST:PORT, or several hubs' IP addresses, comma-separated: the stream
  // goes to the first that answers and, when that hub goes, to the next,
  // resending what was not acknowledged (hub_client/hub_channel.h).
  std::string target = kDefaultHubAddress;
  // TLS to the hub (hub_client/hub_channel.h); plain text when its CA is
  // empty.
  HubTls tls;
  // Sent as "authorization: Bearer <token>"; empty sends none.
  std::string token;
  // Names this publisher instance; empty picks HOST/PID/RANDOM.
  std::string source;
  // Bound of what waits for the hub. Past it, status updates are conflated
  // (the newest per resource stays) and the oldest log lines are dropped and
  // counted in the next log_stream of their resource.
  size_t max_buffer_bytes = 64 * 1024 * 1024;
  size_t max_batch_events = 1000;
  size_t max_batch_bytes = 1024 * 1024;
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
};

class HubPublisher final : public Publisher {
 public:
  explicit HubPublisher(HubPublisherOptions options);
  // Stops at once; events not yet acknowledged are lost (Flush first).
  ~HubPublisher() override;
  HubPublisher(const HubPublisher&) = delete;
  HubPublisher& operator=(const HubPublisher&) = delete;

  void Attach(ActivityManager* manager) override;
  void Publish(bridge::v1::Event event) override;
  bool Flush(absl::Duration timeout) override;
  PublisherStats stats() const override;

  const std::string& source() const { return source_; }

 private:
  class Stream;
  friend class Stream;

  void Run();
  void DeclareProject(const std::string& project);
  // Kicks the current stream's writer if it is idle.
  void MaybeWrite();
  // Claims the current stream's writer, when it is alive and idle, and fills
  // its request; the caller then writes without the lock.
  bool ClaimWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnStreamWriteDone(Stream* stream, bool ok);
  void OnStreamReadFailed(Stream* stream);
  // Fills request with the next events to send on stream; false if none.
  bool PrepareWriteLocked(bridge::v1::PublishRequest* request, bool first) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // peer: the hub, on a stream's first acknowledgement; empty after.
  void OnAck(uint64_t acked, const std::string& peer);
  // The current stream has ended and is about to be deleted; then it is.
  void OnStreamDone(const grpc::Status& status);
  void OnStreamDeleted();

  const HubPublisherOptions options_;
  const std::string source_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<bridge::v1::IngestService::Stub> stub_;

  mutable absl::Mutex mu_;
  std::vector<std::string> projects_ ABSL_GUARDED_BY(mu_);
  std::vector<std::pair<ActivityManager*, int>> attached_ ABSL_GUARDED_BY(mu_);
  // Published, not yet acknowledged.
  PublishBuffer buffer_ ABSL_GUARDED_BY(mu_);
  uint64_t next_source_seq_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t acked_ ABSL_GUARDED_BY(mu_) = 0;
  bool projects_changed_ ABSL_GUARDED_BY(mu_) = false;
  Stream* stream_ ABSL_GUARDED_BY(mu_) = nullptr;
  // The current stream's writer and hold: a write is in flight; the stream
  // failed; its publisher hold is released; its first request went out.
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool stream_dead_ ABSL_GUARDED_BY(mu_) = false;
  bool stream_released_ ABSL_GUARDED_BY(mu_) = false;
  bool sent_first_ ABSL_GUARDED_BY(mu_) = false;
  // The last stream is being deleted: no new one yet, no destruction.
  bool stream_deleting_ ABSL_GUARDED_BY(mu_) = false;
  bool connected_ ABSL_GUARDED_BY(mu_) = false;
  // The current stream has received an acknowledgement.
  bool stream_acked_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::string last_error_ ABSL_GUARDED_BY(mu_);
  std::thread runner_;
};

// HOST/PID/8 random hex digits: unique per process, readable in logs.
std::string DefaultSourceName();

}  // namespace nanokit::client
