#include "ws_gateway/directory_mirror.h"

#include <boost/asio/post.hpp>

#include "common/log.h"
#include "hub_client/cancellable_stream.h"

namespace nanokit::gateway {

namespace net = boost::asio;
namespace v1 = nanokit::bridge::v1;

// One attempt at WatchProjects on the hub; reports to the mirror, which
// decides when to try again.
class HubProjectListWatch final : public CancellableStream<grpc::ClientReadReactor<v1::ProjectList>> {
 public:
  HubProjectListWatch(HubLink* hub, std::shared_ptr<DirectoryMirror> mirror) : hub_(hub), mirror_(std::move(mirror)) {
    hub_->Authorize(&context());
    hub_->WatchStarted();
    hub_->stub()->async()->WatchProjects(&context(), &request_, this);
    AddHold();  // released in OnReadDone(false), after the mirror forgot us
  }

  void Start() {
    StartRead(&list_);
    StartCall();
  }

  void OnReadDone(bool ok) override {
    if (ok) {
      mirror_->OnHubList(this, list_);
      StartRead(&list_);
      return;
    }
    mirror_->OnWatchBroken(this);
    RemoveHold();
  }

  void OnDone(const grpc::Status& status) override {
    if (status.error_code() != grpc::StatusCode::CANCELLED) {
      log::Warn("project list on hub ", hub_->target(), " ended: ", status.error_message(), " (code ",
                static_cast<int>(status.error_code()), ")");
    }
    HubLink* hub = hub_;
    delete this;
    hub->WatchDone();
  }

 private:
  HubLink* const hub_;
  const std::shared_ptr<DirectoryMirror> mirror_;
  const v1::WatchProjectsRequest request_;
  v1::ProjectList list_;
};

DirectoryMirror::DirectoryMirror(HubLink* hub, std::vector<net::io_context*> shards, FanoutOptions options)
    : hub_(hub),
      shards_(std::move(shards)),
      strand_(net::make_strand(*shards_.at(0))),
      retry_timer_(strand_),
      backoff_(options.initial_backoff, options.max_backoff) {}

void DirectoryMirror::Follow(std::shared_ptr<ProjectListFollower> follower) {
  bool start = false;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    followers_[follower->id()] = follower;
    if (has_list_) SendLocked(follower, FullListLocked());
    start = !started_;
    started_ = true;
  }
  if (start) StartWatch();
}

void DirectoryMirror::Unfollow(uint64_t follower_id) {
  absl::MutexLock lock(&mu_);
  followers_.erase(follower_id);
}

void DirectoryMirror::Resync(uint64_t follower_id) {
  absl::MutexLock lock(&mu_);
  auto it = followers_.find(follower_id);
  if (it == followers_.end() || !has_list_) return;
  if (auto follower = it->second.lock()) SendLocked(follower, FullListLocked());
}

void DirectoryMirror::Stop() {
  HubProjectListWatch* watch = nullptr;
  {
    absl::MutexLock lock(&mu_);
    stopped_ = true;
    followers_.clear();
    watch = watch_;
    if (watch != nullptr) watch->HoldForCancel();
  }
  if (watch != nullptr) watch->CancelAndRelease();
  net::post(strand_, [self = shared_from_this()] { self->retry_timer_.cancel(); });
}

void DirectoryMirror::StartWatch() {
  HubProjectListWatch* watch = nullptr;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_ || watch_ != nullptr) return;
    watch_healthy_ = false;
    watch = new HubProjectListWatch(hub_, shared_from_this());
    watch_ = watch;
  }
  watch->Start();
}

void DirectoryMirror::ScheduleReconnect(absl::Duration delay) {
  net::post(strand_, [self = shared_from_this(), delay] {
    self->retry_timer_.expires_after(absl::ToChronoNanoseconds(delay));
    self->retry_timer_.async_wait([self](boost::system::error_code ec) {
      if (!ec) self->StartWatch();
    });
  });
}

void DirectoryMirror::OnWatchBroken(HubProjectListWatch* watch) {
  absl::Duration delay;
  {
    absl::MutexLock lock(&mu_);
    if (watch_ != watch) return;
    watch_ = nullptr;
    if (stopped_) return;
    if (watch_healthy_) backoff_.Reset();
    delay = backoff_.Next();
  }
  ScheduleReconnect(delay);
}

void DirectoryMirror::OnHubList(HubProjectListWatch* watch, const v1::ProjectList& list) {
  absl::MutexLock lock(&mu_);
  if (watch_ != watch || stopped_) return;
  watch_healthy_ = true;
  if (list.full()) {
    listed_.clear();
    has_list_ = true;
  } else if (!has_list_) {
    return;  // a change before any full list: not from a hub that keeps the protocol
  }
  for (const v1::ProjectSummary& summary : list.projects()) listed_[summary.project()] = summary;
  for (const std::string& name : list.removed()) listed_.erase(name);
  auto shared = std::make_shared<const v1::ProjectList>(list);
  for (auto it = followers_.begin(); it != followers_.end();) {
    if (auto follower = it->second.lock()) {
      SendLocked(follower, shared);
      ++it;
    } else {
      followers_.erase(it++);
    }
  }
}

std::shared_ptr<const v1::ProjectList> DirectoryMirror::FullListLocked() const {
  auto full = std::make_shared<v1::ProjectList>();
  full->set_full(true);
  for (const auto& [name, summary] : listed_) *full->add_projects() = summary;
  return full;
}

void DirectoryMirror::SendLocked(const std::shared_ptr<ProjectListFollower>& follower,
                                 std::shared_ptr<const v1::ProjectList> list) {
  // Posted with mu_ held: a follower's lists keep the mirror's order.
  net::post(*shards_.at(follower->shard()),
            [weak = std::weak_ptr<ProjectListFollower>(follower), list = std::move(list)]() mutable {
              if (auto follower = weak.lock()) follower->OnProjectList(std::move(list));
            });
}

}  // namespace nanokit::gateway
