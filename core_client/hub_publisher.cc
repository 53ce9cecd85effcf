#include "core_client/hub_publisher.h"

#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <random>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/hub_channel.h"
#include "common/log.h"

namespace nanokit::core {

namespace v1 = nanokit::bridge::v1;

std::string DefaultSourceName() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  uint32_t bits = 0;
  if (getrandom(&bits, sizeof(bits), 0) != sizeof(bits)) bits = static_cast<uint32_t>(absl::ToUnixNanos(absl::Now()));
  return absl::StrFormat("%s/%d/%08x", host[0] ? host : "core", getpid(), bits);
}

// One Publish stream. It holds a "publisher hold" from creation until it is
// dead and has no write in flight, so the publisher may start writes from
// its own threads while it sees the stream as alive under its lock.
class HubPublisher::Stream final : public grpc::ClientBidiReactor<v1::PublishRequest, v1::PublishResponse> {
 public:
  Stream(HubPublisher* publisher, const std::string& token) : publisher_(publisher) {
    if (!token.empty()) context_.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    publisher_->stub_->async()->Publish(&context_, this);
    AddHold();
  }

  // After StartCall the stream may fail and delete itself at any moment:
  // nothing may touch `this` afterwards.
  void Start() {
    StartRead(&response_);
    StartCall();
  }

  // Called by the publisher with mu_ held: claims the writer if idle and
  // the stream alive, and fills the request. The caller then calls
  // StartWrite(&request_) without the lock.
  bool ClaimWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(publisher_->mu_) {
    if (writing_ || dead_) return false;
    if (!publisher_->PrepareWriteLocked(&request_, !sent_first_)) return false;
    sent_first_ = true;
    writing_ = true;
    return true;
  }
  void Write() { StartWrite(&request_); }

  // Cancels the call; safe from any thread while the publisher sees the
  // stream (it takes a hold of its own for the duration).
  // Returns false when the stream is already ending on its own; then it
  // must not be touched once the lock is released.
  bool HoldForCancelLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(publisher_->mu_) {
    if (released_) return false;
    AddHold();
    return true;
  }
  void FinishCancel() {
    context_.TryCancel();
    RemoveHold();
  }

  void OnReadDone(bool ok) override {
    if (ok) {
      publisher_->OnAck(response_.acked_source_seq());
      StartRead(&response_);
      return;
    }
    MarkDead();
  }

  void OnWriteDone(bool ok) override {
    bool write = false;
    bool release = false;
    {
      absl::MutexLock lock(&publisher_->mu_);
      writing_ = false;
      if (!ok) dead_ = true;
      if (dead_) {
        release = !released_;
        released_ = true;
      } else {
        write = ClaimWriteLocked();
      }
    }
    if (write) Write();
    if (release) RemoveHold();
  }

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
  void MarkDead() {
    bool release = false;
    {
      absl::MutexLock lock(&publisher_->mu_);
      dead_ = true;
      if (!writing_ && !released_) release = released_ = true;
    }
    if (release) RemoveHold();
  }

  HubPublisher* const publisher_;
  grpc::ClientContext context_;
  v1::PublishRequest request_;    // touched only while writing_ is claimed
  v1::PublishResponse response_;  // touched only by read reactions
  // Guarded by publisher_->mu_.
  bool writing_ = false;
  bool dead_ = false;
  bool released_ = false;
  bool sent_first_ = false;
};

HubPublisher::HubPublisher(HubPublisherOptions options)
    : options_(std::move(options)), source_(options_.source.empty() ? DefaultSourceName() : options_.source) {
  channel_ = CreateHubChannel(options_.target);
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
    if (event.has_log_stream()) {
      // Lines this resource lost to an earlier overflow are told here.
      auto it = pending_dropped_lines_.find(ResourceKey(event.project(), event.log_stream().resource_id()));
      if (it != pending_dropped_lines_.end()) {
        event.mutable_log_stream()->set_dropped_lines(event.log_stream().dropped_lines() + it->second);
        pending_dropped_lines_.erase(it);
      }
    }
    buffered_bytes_ += event.ByteSizeLong();
    unacked_.push_back(std::move(event));
    if (buffered_bytes_ > options_.max_buffer_bytes) ShrinkBufferLocked();
  }
  MaybeWrite();
}

std::string HubPublisher::ResourceKey(const std::string& project, const std::string& resource_id) {
  return absl::StrCat(project, "\n", resource_id);
}

void HubPublisher::ShrinkBufferLocked() {
  // Only what has not been sent on the current stream may change; during an
  // outage that is everything unacknowledged.
  auto unsent = std::upper_bound(unacked_.begin(), unacked_.end(), sent_upto_,
                                 [](uint64_t seq, const v1::Event& e) { return seq < e.source_seq(); });
  const size_t first = static_cast<size_t>(unsent - unacked_.begin());

  // 1. Conflate: of the unsent status updates of a resource only the newest
  //    matters, so the final status of every resource survives any outage.
  absl::flat_hash_set<std::string> newer_status;
  std::vector<bool> keep(unacked_.size(), true);
  for (size_t i = unacked_.size(); i-- > first;) {
    const v1::Event& e = unacked_[i];
    if (!e.has_status_update()) continue;
    if (!newer_status.insert(ResourceKey(e.project(), e.status_update().resource_id())).second) {
      keep[i] = false;
      buffered_bytes_ -= e.ByteSizeLong();
      ++dropped_;
    }
  }
  // 2. Then the oldest unsent log lines go, counted per resource; the next
  //    log_stream of that resource that is kept carries the count. Shrink
  //    to three quarters so this does not run on every publish.
  const size_t target = options_.max_buffer_bytes / 4 * 3;
  absl::flat_hash_map<std::string, uint64_t> dropped_lines;
  for (size_t i = first; i + 1 < unacked_.size() && buffered_bytes_ > target; ++i) {
    v1::Event& e = unacked_[i];
    if (!keep[i] || !e.has_log_stream()) continue;
    dropped_lines[ResourceKey(e.project(), e.log_stream().resource_id())] +=
        static_cast<uint64_t>(e.log_stream().lines_size()) + e.log_stream().dropped_lines();
    keep[i] = false;
    buffered_bytes_ -= e.ByteSizeLong();
    ++dropped_;
  }
  std::deque<v1::Event> kept;
  for (size_t i = 0; i < unacked_.size(); ++i) {
    if (!keep[i]) continue;
    v1::Event& e = unacked_[i];
    if (e.has_log_stream() && !dropped_lines.empty()) {
      auto it = dropped_lines.find(ResourceKey(e.project(), e.log_stream().resource_id()));
      if (it != dropped_lines.end()) {
        buffered_bytes_ -= e.ByteSizeLong();
        e.mutable_log_stream()->set_dropped_lines(e.log_stream().dropped_lines() + it->second);
        buffered_bytes_ += e.ByteSizeLong();
        dropped_lines.erase(it);
      }
    }
    kept.push_back(std::move(e));
  }
  unacked_ = std::move(kept);
  for (auto& [key, lines] : dropped_lines) pending_dropped_lines_[key] += lines;
}

void HubPublisher::MaybeWrite() {
  Stream* stream = nullptr;
  {
    absl::MutexLock lock(&mu_);
    if (stream_ == nullptr || !stream_->ClaimWriteLocked()) return;
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
  auto it = std::upper_bound(unacked_.begin(), unacked_.end(), sent_upto_,
                             [](uint64_t seq, const v1::Event& e) { return seq < e.source_seq(); });
  size_t bytes = 0;
  for (; it != unacked_.end() && static_cast<size_t>(request->events_size()) < options_.max_batch_events &&
         bytes < options_.max_batch_bytes;
       ++it) {
    bytes += it->ByteSizeLong();
    *request->add_events() = *it;
    sent_upto_ = it->source_seq();
  }
  return first || request->events_size() > 0 || request->projects_size() > 0;
}

void HubPublisher::OnAck(uint64_t acked) {
  absl::MutexLock lock(&mu_);
  if (!connected_) {
    log::Info("publisher source=", source_, " connected to ", options_.target);
    connected_ = true;
    last_error_.clear();
  }
  stream_acked_ = true;
  acked_ = std::max(acked_, acked);
  while (!unacked_.empty() && unacked_.front().source_seq() <= acked_) {
    buffered_bytes_ -= unacked_.front().ByteSizeLong();
    unacked_.pop_front();
  }
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
  sent_upto_ = acked_;
  std::string error = absl::StrCat(status.error_code(), " ", status.error_message());
  if (!stopping_ && error != last_error_) {
    log::Warn("publisher source=", source_, " stream to ", options_.target, " ended: ", status.error_message(),
              " (code ", status.error_code(), "); reconnecting");
  }
  last_error_ = std::move(error);
}

void HubPublisher::Run() {
  std::mt19937_64 rng(std::random_device{}());
  absl::Duration backoff = options_.initial_backoff;
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    auto* stream = new Stream(this, options_.token);
    stream_ = stream;
    stream_acked_ = false;
    mu_.Unlock();
    stream->Start();
    MaybeWrite();
    mu_.Lock();
    auto ended_or_stopping = [this, stream]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stream_ != stream || stopping_;
    };
    mu_.Await(absl::Condition(&ended_or_stopping));
    if (stream_ == stream) {  // stopping: cancel, then wait for OnDone
      const bool held = stream->HoldForCancelLocked();
      mu_.Unlock();
      if (held) stream->FinishCancel();
      mu_.Lock();
      auto ended = [this, stream]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stream_ != stream && !stream_deleting_;
      };
      mu_.Await(absl::Condition(&ended));
      break;
    }
    // It ended on its own: let its deletion finish before anything else.
    auto deleted = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !stream_deleting_; };
    mu_.Await(absl::Condition(&deleted));
    // A stream that got acknowledgements was healthy: start over quickly.
    if (stream_acked_) backoff = options_.initial_backoff;
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    absl::Duration wait = backoff * jitter(rng);
    backoff = std::min(backoff * 2, options_.max_backoff);
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), wait);
  }
}

bool HubPublisher::Flush(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto all_acked = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return acked_ + 1 >= next_source_seq_ || stopping_;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&all_acked), timeout) && acked_ + 1 >= next_source_seq_;
}

HubPublisher::Stats HubPublisher::stats() const {
  absl::MutexLock lock(&mu_);
  Stats stats;
  stats.published = next_source_seq_ - 1;
  stats.acknowledged = acked_;
  stats.dropped = dropped_;
  stats.connected = connected_;
  stats.buffered_bytes = buffered_bytes_;
  return stats;
}

}  // namespace nanokit::core
