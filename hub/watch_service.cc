#include "hub/watch_service.h"

#include "absl/strings/str_cat.h"
#include "auth/visible_projects.h"
#include "common/log.h"
#include "hub/queued_write_reactor.h"
#include "hub/rpc_auth.h"
#include "hub/rpc_status.h"
#include "protocol/names.h"

namespace nanokit::hub {

namespace v1 = nanokit::bridge::v1;

namespace {

// One watcher of one project. The project pushes shared responses into a
// bounded queue (QueuedWriteReactor); one that falls behind is resynced
// with a snapshot.
class WatchReactor final : public QueuedWriteReactor<v1::WatchResponse>, public WatchSink {
 public:
  WatchReactor(std::shared_ptr<Project> project, const v1::WatchRequest& request, uint64_t id,
               size_t max_queue, auth::AccessControl* access, const auth::Identity& identity, HubMetrics* metrics)
      : project_(std::move(project)), id_(id), max_queue_(max_queue), metrics_(metrics) {
    metrics_->watchers.Add();
    log::Info("watch stream=", id_, " project=", project_->name(), " as ", identity.grant->subject(),
              " epoch=", request.epoch(), " after_seq=", request.after_seq());
    project_->Watch(this, request.epoch(), request.after_seq());
    follower_ = access->Follow(identity, [this](auth::GrantPtr grant) {
      if (grant == nullptr) {
        log::Warn("watch stream=", id_, " ended: its token was revoked or has expired");
        End(RevokedStatus());
      } else if (!grant->MayView(project_->name())) {
        log::Warn("watch stream=", id_, " ended: its token may no longer view the project");
        End(grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "the token may no longer view this project"));
      }
    });
  }

  bool Deliver(std::shared_ptr<const v1::WatchResponse> response) override {
    return Queue(std::move(response), max_queue_);
  }

  void Resync(std::shared_ptr<const v1::WatchResponse> snapshot) override {
    if (Replace(std::move(snapshot))) log::Warn("watch stream=", id_, " fell behind; resyncing with a snapshot");
  }

  void OnDone() override {
    follower_.reset();
    // After Unwatch returns the project never calls us again.
    project_->Unwatch(this);
    log::Info("watch stream=", id_, " closed");
    metrics_->watchers.Sub();
    delete this;
  }

 private:
  const std::shared_ptr<Project> project_;
  const uint64_t id_;
  const size_t max_queue_;
  HubMetrics* const metrics_;
  std::unique_ptr<auth::GrantFollower> follower_;
};

// One watcher of the project list, filtered to what its token may see.
class ProjectListReactor final : public QueuedWriteReactor<v1::ProjectList>, public ProjectListSink {
 public:
  static constexpr size_t kMaxQueue = 64;

  ProjectListReactor(Hub* hub, uint64_t id, auth::AccessControl* access, const auth::Identity& identity)
      : hub_(hub), id_(id), grant_(identity.grant) {
    log::Info("project list stream=", id_, " as ", identity.grant->subject());
    hub_->metrics().watchers.Add();
    hub_->WatchProjects(this);
    follower_ = access->Follow(identity, [this](auth::GrantPtr grant) {
      if (grant == nullptr) {
        log::Warn("project list stream=", id_, " ended: its token was revoked or has expired");
        End(RevokedStatus());
        return;
      }
      {
        absl::MutexLock lock(&grant_mu_);
        grant_ = std::move(grant);
      }
      // A full list under the new grant replaces what the watcher knew.
      hub_->ResyncProjects(this);
    });
  }

  bool Deliver(std::shared_ptr<const v1::ProjectList> change) override {
    auto visible = Visible(std::move(change));
    return visible == nullptr || Queue(std::move(visible), kMaxQueue);
  }

  void Resync(std::shared_ptr<const v1::ProjectList> full) override { Replace(Visible(std::move(full))); }

  void OnDone() override {
    follower_.reset();
    hub_->UnwatchProjects(this);
    log::Info("project list stream=", id_, " closed");
    hub_->metrics().watchers.Sub();
    delete this;
  }

 private:
  // What of a list this watcher may see (auth/visible_projects.h); null
  // for a change it may see nothing of.
  std::shared_ptr<const v1::ProjectList> Visible(std::shared_ptr<const v1::ProjectList> list) {
    absl::MutexLock lock(&grant_mu_);
    if (grant_->admin()) return list;  // the gateway's: shared, not copied
    auto visible = auth::VisibleProjects(*grant_, *list);
    if (!visible) return nullptr;
    return std::make_shared<const v1::ProjectList>(*std::move(visible));
  }

  Hub* const hub_;
  const uint64_t id_;
  std::unique_ptr<auth::GrantFollower> follower_;
  absl::Mutex grant_mu_;
  auth::GrantPtr grant_ ABSL_GUARDED_BY(grant_mu_);
};

// What a viewer (or admin) token may view; the same refusal whether the
// project exists or not, so a refusal tells nothing about other projects.
absl::Status PublisherMayNotWatch(const auth::Grant& grant) {
  return absl::PermissionDeniedError(
      absl::StrCat("the token \"", grant.subject(), "\" is a publisher's: it may not watch"));
}

absl::Status CheckMayView(const auth::Grant& grant, const std::string& project) {
  if (!grant.MayView()) return PublisherMayNotWatch(grant);
  if (!grant.MayView(project)) {
    return absl::PermissionDeniedError(
        absl::StrCat("the token \"", grant.subject(), "\" may not view project ", protocol::Quoted(project)));
  }
  return absl::OkStatus();
}

}  // namespace

grpc::ServerWriteReactor<v1::WatchResponse>* WatchService::Watch(grpc::CallbackServerContext* context,
                                                                  const v1::WatchRequest* request) {
  using Refused = RefusedReactor<grpc::ServerWriteReactor<v1::WatchResponse>>;
  auto identity = AuthenticateRpc(*access_, context);
  if (!identity.ok()) {
    log::Warn("watch from ", context->peer(), " refused: ", identity.status().message());
    CountRefusal(hub_->metrics(), identity.status());
    return new Refused(UnauthenticatedStatus(identity.status()));
  }
  if (auto may = CheckMayView(*identity->grant, request->project()); !may.ok()) {
    log::Warn("watch from ", context->peer(), " refused: ", may.message());
    CountRefusal(hub_->metrics(), may);
    return new Refused(ToGrpcStatus(may));
  }
  auto project = hub_->GetOrCreateProject(request->project());
  if (!project.ok()) return new Refused(ToGrpcStatus(project.status()));
  return new WatchReactor(*std::move(project), *request, next_stream_id_++, options_.max_queued_responses, access_,
                          *identity, &hub_->metrics());
}

grpc::ServerUnaryReactor* WatchService::GetSnapshot(grpc::CallbackServerContext* context,
                                                    const v1::GetSnapshotRequest* request,
                                                    v1::ProjectSnapshot* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto identity = AuthenticateRpc(*access_, context);
  if (!identity.ok()) {
    log::Warn("snapshot for ", context->peer(), " refused: ", identity.status().message());
    CountRefusal(hub_->metrics(), identity.status());
    reactor->Finish(UnauthenticatedStatus(identity.status()));
    return reactor;
  }
  if (auto may = CheckMayView(*identity->grant, request->project()); !may.ok()) {
    log::Warn("snapshot for ", context->peer(), " refused: ", may.message());
    CountRefusal(hub_->metrics(), may);
    reactor->Finish(ToGrpcStatus(may));
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

namespace nanokit::hub {

grpc::ServerWriteReactor<v1::ProjectList>* WatchService::WatchProjects(grpc::CallbackServerContext* context,
                                                                      const v1::WatchProjectsRequest*) {
  using Refused = RefusedReactor<grpc::ServerWriteReactor<v1::ProjectList>>;
  auto identity = AuthenticateRpc(*access_, context);
  if (!identity.ok()) {
    log::Warn("project list for ", context->peer(), " refused: ", identity.status().message());
    CountRefusal(hub_->metrics(), identity.status());
    return new Refused(UnauthenticatedStatus(identity.status()));
  }
  if (!identity->grant->MayView()) {
    absl::Status refused = PublisherMayNotWatch(*identity->grant);
    log::Warn("project list for ", context->peer(), " refused: ", refused.message());
    CountRefusal(hub_->metrics(), refused);
    return new Refused(ToGrpcStatus(refused));
  }
  return new ProjectListReactor(hub_, next_stream_id_++, access_, *identity);
}

}  // namespace nanokit::hub
