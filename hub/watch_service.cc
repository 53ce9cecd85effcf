#include "hub/watch_service.h"

#include <deque>

#include "common/log.h"
#include "hub/rpc_auth.h"
#include "hub/rpc_status.h"

namespace nanokit::hub {

namespace v1 = nanokit::bridge::v1;

namespace {

// One watcher of one project. The project pushes shared responses into a
// bounded queue; one write is in flight at a time, the next one started from
// OnWriteDone.
class WatchReactor final : public grpc::ServerWriteReactor<v1::WatchResponse>, public WatchSink {
 public:
  WatchReactor(std::shared_ptr<Project> project, const v1::WatchRequest& request, uint64_t id,
               size_t max_queue)
      : project_(std::move(project)), id_(id), max_queue_(max_queue) {
    log::Info("watch stream=", id_, " project=", project_->name(), " epoch=", request.epoch(),
              " after_seq=", request.after_seq());
    project_->Watch(this, request.epoch(), request.after_seq());
  }

  bool Deliver(std::shared_ptr<const v1::WatchResponse> response) override {
    {
      absl::MutexLock lock(&mu_);
      if (closing_) return true;
      if (queue_.size() >= max_queue_) return false;
      queue_.push_back(std::move(response));
    }
    MaybeWrite();
    return true;
  }

  void Resync(std::shared_ptr<const v1::WatchResponse> snapshot) override {
    {
      absl::MutexLock lock(&mu_);
      if (closing_) return;
      if (!queue_.empty()) log::Warn("watch stream=", id_, " fell behind; resyncing with a snapshot");
      queue_.clear();
      queue_.push_back(std::move(snapshot));
    }
    MaybeWrite();
  }

  void OnWriteDone(bool ok) override {
    bool finish = false;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (!ok) closing_ = true;
      finish = closing_ && !finished_;
      if (finish) finished_ = true;
    }
    if (finish) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "watch ended"));
      return;
    }
    MaybeWrite();
  }

  void OnCancel() override {
    bool finish = false;
    {
      absl::MutexLock lock(&mu_);
      closing_ = true;
      queue_.clear();
      finish = !writing_ && !finished_;
      if (finish) finished_ = true;
    }
    if (finish) Finish(grpc::Status(grpc::StatusCode::CANCELLED, "watch cancelled"));
  }

  void OnDone() override {
    // After Unwatch returns the project never calls us again.
    project_->Unwatch(this);
    log::Info("watch stream=", id_, " closed");
    delete this;
  }

 private:
  void MaybeWrite() {
    const v1::WatchResponse* next = nullptr;
    {
      absl::MutexLock lock(&mu_);
      if (writing_ || closing_ || queue_.empty()) return;
      in_flight_ = std::move(queue_.front());
      queue_.pop_front();
      writing_ = true;
      next = in_flight_.get();
    }
    StartWrite(next);
  }

  const std::shared_ptr<Project> project_;
  const uint64_t id_;
  const size_t max_queue_;

  absl::Mutex mu_;
  std::deque<std::shared_ptr<const v1::WatchResponse>> queue_ ABSL_GUARDED_BY(mu_);
  // Kept alive until the write completes (and until OnDone after that).
  std::shared_ptr<const v1::WatchResponse> in_flight_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

grpc::ServerWriteReactor<v1::WatchResponse>* WatchService::Watch(grpc::CallbackServerContext* context,
                                                                  const v1::WatchRequest* request) {
  using Refused = RefusedReactor<grpc::ServerWriteReactor<v1::WatchResponse>>;
  if (!IsAuthorized(auth_, context)) {
    log::Warn("watch from ", context->peer(), " refused: missing or wrong token");
    return new Refused(UnauthenticatedStatus());
  }
  auto project = hub_->GetOrCreateProject(request->project());
  if (!project.ok()) return new Refused(ToGrpcStatus(project.status()));
  return new WatchReactor(*std::move(project), *request, next_stream_id_++, options_.max_queued_responses);
}

grpc::ServerUnaryReactor* WatchService::GetSnapshot(grpc::CallbackServerContext* context,
                                                    const v1::GetSnapshotRequest* request,
                                                    v1::ProjectSnapshot* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!IsAuthorized(auth_, context)) {
    reactor->Finish(UnauthenticatedStatus());
    return reactor;
  }
  auto snapshot = hub_->Snapshot(request->project());
  if (!snapshot.ok()) {
    reactor->Finish(ToGrpcStatus(snapshot.status()));
    return reactor;
  }
  *response = *std::move(snapshot);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace nanokit::hub
