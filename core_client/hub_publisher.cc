#include "core_client/hub_publisher.h"

#include <sys/random.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/log.h"
#include "hub_client/cancellable_stream.h"
#include "hub_client/hub_channel.h"
#include "protocol/backoff.h"

namespace nanokit::client {

namespace v1 = nanokit::bridge::v1;

std::string DefaultSourceName() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  uint32_t bits = 0;
  if (getrandom(&bits, sizeof(bits), 0) != sizeof(bits)) bits = static_cast<uint32_t>(absl::ToUnixNanos(absl::Now()));
  return absl::StrFormat("%s/%d/%08x", host[0] ? host : "core", getpid(), bits);
}

// One Publish stream: a thin reactor that hands every reaction to its
// publisher, which keeps the stream's state under its own lock (one stream
// at a time). The stream holds a "publisher hold" from creation until it is
// dead and has no write in flight, so the publisher may start writes from
// its own threads while it sees the stream as alive.
class HubPublisher::Stream final
    : public CancellableStream<grpc::ClientBidiReactor<v1::PublishRequest, v1::PublishResponse>> {
 public:
  Stream(HubPublisher* publisher, const std::string& token) : publisher_(publisher) {
    if (!token.empty()) context().AddMetadata("authorization", absl::StrCat("Bearer ", token));
    publisher_->stub_->async()->Publish(&context(), this);
    AddHold();
  }

  // After StartCall the stream may fail and delete itself at any moment:
  // nothing may touch `this` afterwards but through a hold.
  void Start() {
    StartRead(&response_);
    StartCall();
  }

  // Filled by the publisher while it has claimed the writer.
  v1::PublishRequest* request() { return &request_; }
  void Write() { StartWrite(&request_); }
  // Lets go of the publisher hold (the publisher cancels it with
  // HoldForCancel and CancelAndRelease, hub_client/cancellable_stream.h).
  void Release() { RemoveHold(); }

  void OnReadDone(bool ok) override {
    if (ok) {
      // The hub answering (one of several in the target), named once per stream.
      publisher_->OnAck(response_.acked_source_seq(), first_ack_ ? context().peer() : std::string());
      first_ack_ = false;
      StartRead(&response_);
      return;
    }
    publisher_->OnStreamReadFailed(this);
  }

  void OnWriteDone(bool ok) override { publisher_->OnStreamWriteDone(this, ok); }

  void OnDone(const grpc::Status& status) override {
    // The publisher forgets this stream first (so nobody reaches it through
    // stream_), then waits for the deletion to finish before it may start
    // another stream or be destroyed itself.
    HubPublisher* publisher = publisher_;
    publisher->OnStreamDone(status);
    delete this;
    publisher->OnStreamDeleted();
  }

 private:
  HubPublisher* const publisher_;
  v1::PublishRequest request_;    // touched only while the writer is claimed
  v1::PublishResponse response_;  // touched only by read reactions
  bool first_ack_ = true;         // touched only by read reactions
};

bool HubPublisher::ClaimWriteLocked() {
  if (stream_ == nullptr || writing_ || stream_dead_) return false;
  if (!PrepareWriteLocked(stream_->request(), !sent_first_)) return false;
  sent_first_ = true;
  writing_ = true;
  return true;
}

void HubPublisher::OnStreamWriteDone(Stream* stream, bool ok) {
  bool write = false;
  bool release = false;
  {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) stream_dead_ = true;
    if (stream_dead_) {
      release = !stream_released_;
      stream_released_ = true;
    } else {
      write = ClaimWriteLocked();
    }
  }
  if (write) stream->Write();
  if (release) stream->Release();
}

void HubPublisher::OnStreamReadFailed(Stream* stream) {
  bool release = false;
  {
    absl::MutexLock lock(&mu_);
    stream_dead_ = true;
    if (!writing_ && !stream_released_) release = stream_released_ = true;
  }
  if (release) stream->Release();
}

HubPublisher::HubPublisher(HubPublisherOptions options)
    : options_(std::move(options)),
      source_(options_.source.empty() ? DefaultSourceName() : options_.source),
      buffer_(options_.max_buffer_bytes) {
  channel_ = CreateHubChannel(options_.target, options_.tls);
  stub_ = v1::IngestService::NewStub(channel_);
  runner_ = std::thread([this] { Run(); });
}

HubPublisher::~HubPublisher() {
  std::vector<std::pair<ActivityManager*, int>> attached;
  {
    absl::MutexLock lock(&mu_);
    attached = attached_;
    attached_.clear();
  }
  for (auto [manager, id] : attached) manager->RemoveListener(id);
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  runner_.join();
}

void HubPublisher::Attach(ActivityManager* manager) {
  DeclareProject(manager->project());
  int id = manager->AddListener([this](const v1::Event& event) { Publish(event); });
  absl::MutexLock lock(&mu_);
  attached_.emplace_back(manager, id);
}

void HubPublisher::DeclareProject(const std::string& project) {
  {
    absl::MutexLock lock(&mu_);
    if (std::find(projects_.begin(), projects_.end(), project) != projects_.end()) return;
    projects_.push_back(project);
    projects_changed_ = true;
  }
  MaybeWrite();
}

void HubPublisher::Publish(v1::Event event) {
  {
    absl::MutexLock lock(&mu_);
    event.set_source(source_);
    event.set_source_seq(next_source_seq_++);
    event.clear_seq();
    buffer_.Push(std::move(event));
  }
  MaybeWrite();
}

void HubPublisher::MaybeWrite() {
  Stream* stream = nullptr;
  {
    absl::MutexLock lock(&mu_);
    if (!ClaimWriteLocked()) return;
    stream = stream_;
  }
  // The stream's hold keeps it alive while it has a write claimed.
  stream->Write();
}

bool HubPublisher::PrepareWriteLocked(v1::PublishRequest* request, bool first) {
  request->Clear();
  if (first || projects_changed_) {
    request->set_source(source_);
    for (const std::string& project : projects_) request->add_projects(project);
    projects_changed_ = false;
  }
  buffer_.FillRequest(options_.max_batch_events, options_.max_batch_bytes, request);
  return first || request->events_size() > 0 || request->projects_size() > 0;
}

void HubPublisher::OnAck(uint64_t acked, const std::string& peer) {
  absl::MutexLock lock(&mu_);
  if (!connected_) {
    log::Info("publisher source=", source_, " connected to ", peer.empty() ? options_.target : peer);
    connected_ = true;
    last_error_.clear();
  }
  stream_acked_ = true;
  acked_ = std::max(acked_, acked);
  buffer_.Acknowledge(acked_);
}

void HubPublisher::OnStreamDeleted() {
  absl::MutexLock lock(&mu_);
  stream_deleting_ = false;
}

void HubPublisher::OnStreamDone(const grpc::Status& status) {
  absl::MutexLock lock(&mu_);
  stream_ = nullptr;  // there is one stream at a time
  stream_deleting_ = true;
  connected_ = false;
  // Everything not acknowledged goes out again on the next stream.
  buffer_.Rewind();
  std::string error = absl::StrCat(status.error_code(), " ", status.error_message());
  if (!stopping_ && error != last_error_) {
    log::Warn("publisher source=", source_, " stream to ", options_.target, " ended: ", status.error_message(),
              " (code ", status.error_code(), "); reconnecting");
  }
  last_error_ = std::move(error);
}

void HubPublisher::Run() {
  protocol::Backoff backoff(options_.initial_backoff, options_.max_backoff);
  while (true) {
    Stream* stream = nullptr;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      stream = new Stream(this, options_.token);
      stream_ = stream;
      stream_acked_ = false;
      writing_ = stream_dead_ = stream_released_ = sent_first_ = false;
    }
    stream->Start();
    MaybeWrite();

    bool stopping = false;
    bool held = false;
    {
      absl::MutexLock lock(&mu_);
      auto ended_or_stopping = [this, stream]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stream_ != stream || stopping_;
      };
      mu_.Await(absl::Condition(&ended_or_stopping));
      // Still current means stopping: cancel it, then wait for OnDone. A
      // stream already ending on its own is not touched.
      stopping = stream_ == stream;
      held = stopping && !stream_released_;
      if (held) stream->HoldForCancel();
    }
    if (stopping) {
      if (held) stream->CancelAndRelease();
      absl::MutexLock lock(&mu_);
      auto ended = [this, stream]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stream_ != stream && !stream_deleting_;
      };
      mu_.Await(absl::Condition(&ended));
      return;
    }

    absl::MutexLock lock(&mu_);
    // It ended on its own: let its deletion finish before anything else.
    auto deleted = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !stream_deleting_; };
    mu_.Await(absl::Condition(&deleted));
    // A stream that got acknowledgements was healthy: start over quickly.
    if (stream_acked_) backoff.Reset();
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), backoff.Next());
  }
}

bool HubPublisher::Flush(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto all_acked = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return acked_ + 1 >= next_source_seq_ || stopping_;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&all_acked), timeout) && acked_ + 1 >= next_source_seq_;
}

PublisherStats HubPublisher::stats() const {
  absl::MutexLock lock(&mu_);
  PublisherStats stats;
  stats.published = next_source_seq_ - 1;
  stats.acknowledged = acked_;
  stats.dropped = buffer_.dropped();
  stats.connected = connected_;
  stats.buffered_bytes = buffer_.bytes();
  return stats;
}

}  // namespace nanokit::client
