#include "hub/ingest_service.h"

#include <optional>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "protocol/names.h"
#include "hub/rpc_auth.h"
#include "hub/rpc_status.h"

namespace nanokit::hub {

namespace v1 = nanokit::bridge::v1;

namespace {

absl::Status ViewerMayNotPublish(const auth::Grant& grant) {
  return absl::PermissionDeniedError(
      absl::StrCat("the token \"", grant.subject(), "\" is a viewer's: it may not publish"));
}

// One publishing core. Each request read is handed to the Hub, whose
// committer calls back once it is committed; the reaction itself returns at
// once. Up to kMaxWithHub requests of a stream are with the hub at a time,
// so a core that sends many small requests is not held to one commit round
// trip each; their outcomes come back in order. Acks coalesce: while a write
// is in flight only the newest pending ack is kept. Finish waits until the
// hub has answered every request, so OnDone never comes while the hub holds
// a callback to this reactor.
class PublishReactor final : public grpc::ServerBidiReactor<v1::PublishRequest, v1::PublishResponse> {
 public:
  static constexpr int kMaxWithHub = 16;

  PublishReactor(Hub* hub, uint64_t id, std::string peer, auth::AccessControl* access, const auth::Identity& identity)
      : hub_(hub), id_(id), peer_(std::move(peer)), grant_(identity.grant) {
    log::Info("publish stream=", id_, " opened from ", peer_, " as ", identity.grant->subject());
    hub_->metrics().publish_streams.Add();
    {
      absl::MutexLock lock(&mu_);
      reading_ = true;
    }
    StartRead(&request_);
    // Last: the reload thread may call it at once.
    follower_ = access->Follow(identity, [this](auth::GrantPtr grant) { OnGrantChange(std::move(grant)); });
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the core half-closed, or the stream broke
      Settle([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        reading_ = false;
        read_closed_ = true;
        FinishLocked(grpc::Status::OK);
      });
      return;
    }
    absl::Status refused = Check();
    if (!refused.ok()) {
      Settle([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        reading_ = false;
        read_closed_ = true;
        FailLocked(ToGrpcStatus(refused));
      });
      return;
    }
    v1::PublishRequest request;
    request.Swap(&request_);
    {
      absl::MutexLock lock(&mu_);
      ++with_hub_;
    }
    // reading_ stays set until the hub has the request: the next read, and
    // so the next request, cannot reach the hub before this one (it would
    // be taken for this one's retry).
    hub_->Publish(source_, std::move(request), [this](absl::StatusOr<uint64_t> accepted) { OnPublished(accepted); });
    Settle([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { reading_ = false; });
  }

  void OnWriteDone(bool ok) override {
    Settle([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      writing_ = false;
      // Broken: the read fails too, and asks to finish.
      if (!ok) failed_ = true;
    });
  }

  void OnDone() override {
    follower_.reset();
    for (const auto& project : attached_projects_) project->CoreDetached();
    log::Info("publish stream=", id_, " closed");
    hub_->metrics().publish_streams.Sub();
    delete this;
  }

 private:
  // From the hub's committer (or at once, for a request refused whole), in
  // the order the requests were handed over.
  void OnPublished(const absl::StatusOr<uint64_t>& accepted) {
    if (!accepted.ok()) {
      log::Warn("publish stream=", id_, " source=", source_, " rejected: ", accepted.status().message());
    }
    Settle([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      --with_hub_;
      if (!accepted.ok()) {
        FailLocked(ToGrpcStatus(accepted.status()));
      } else if (!failed_) {
        pending_ack_ = std::max(pending_ack_, *accepted);
        // The first request always gets an answer, so a reconnecting core
        // learns where the hub stands even when it sent nothing new.
        if (!answered_first_) owe_first_ = answered_first_ = true;
      }
    });
  }

  // From the reload thread: the token now allows this, or nothing (null).
  void OnGrantChange(auth::GrantPtr grant) {
    if (grant == nullptr) log::Warn("publish stream=", id_, " ended: its token was revoked or has expired");
    Settle([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      if (grant == nullptr) {
        FailLocked(RevokedStatus());
      } else {
        grant_ = std::move(grant);
      }
    });
  }

  // The token allows every project the request names, or the request is
  // refused whole before any of it reaches the hub (no project is created).
  absl::Status CheckGrant() {
    auth::GrantPtr grant;
    {
      absl::MutexLock lock(&mu_);
      grant = grant_;
    }
    if (!grant->MayPublish()) return ViewerMayNotPublish(*grant);
    auto check = [&](const std::string& project) {
      if (grant->MayPublishTo(project)) return absl::OkStatus();
      return absl::PermissionDeniedError(absl::StrCat("the token \"", grant->subject(),
                                                      "\" may not publish to project ", protocol::Quoted(project),
                                                      "; the request was refused whole"));
    };
    for (const std::string& project : request_.projects()) {
      if (auto status = check(project); !status.ok()) return status;
    }
    for (const v1::Event& event : request_.events()) {
      if (auto status = check(event.project()); !status.ok()) return status;
    }
    return absl::OkStatus();
  }

  // What a request must be before the hub sees it; attaches its projects.
  // Read reactions only.
  absl::Status Check() {
    if (auto status = CheckGrant(); !status.ok()) return status;
    if (source_.empty()) {
      if (request_.source().empty() || request_.source().size() > 256) {
        return absl::InvalidArgumentError("the first PublishRequest must name its source (1-256 bytes)");
      }
      source_ = request_.source();
      log::Info("publish stream=", id_, " source=", source_);
    } else if (!request_.source().empty() && request_.source() != source_) {
      return absl::InvalidArgumentError("a stream's source cannot change");
    }
    for (const std::string& project : request_.projects()) {
      if (auto status = Attach(project); !status.ok()) return status;
    }
    for (const v1::Event& event : request_.events()) {
      if (auto status = Attach(event.project()); !status.ok()) return status;
    }
    return absl::OkStatus();
  }

  absl::Status Attach(const std::string& name) {
    if (attached_.contains(name)) return absl::OkStatus();
    auto project = hub_->GetOrCreateProject(name);
    if (!project.ok()) return project.status();
    (*project)->CoreAttached();
    attached_.insert(name);
    attached_projects_.push_back(*project);
    return absl::OkStatus();
  }

  // Nothing more is acknowledged: what was not may not be committed.
  void FailLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    failed_ = true;
    FinishLocked(std::move(status));
  }
  void FinishLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!pending_finish_ && !finished_) pending_finish_ = std::move(status);
  }

  // Changes the state under the lock, then starts what it allows: the next
  // ack, the next read, or Finish once nothing is in flight. gRPC is never
  // called with the lock held (a reaction may need it).
  template <typename Change>
  void Settle(Change change) {
    bool write = false;
    bool read = false;
    std::optional<grpc::Status> finish;
    {
      absl::MutexLock lock(&mu_);
      change();
      if (finished_) return;
      if (!writing_ && !failed_ && (owe_first_ || pending_ack_ > sent_ack_)) {
        writing_ = write = true;
        owe_first_ = false;
        sent_ack_ = pending_ack_;
        response_.set_acked_source_seq(sent_ack_);
      }
      if (!reading_ && !read_closed_ && !pending_finish_ && with_hub_ < kMaxWithHub) reading_ = read = true;
      if (pending_finish_ && !writing_ && with_hub_ == 0) {
        finished_ = true;
        finish = std::move(pending_finish_);
        pending_finish_.reset();
      }
    }
    if (write) StartWrite(&response_);
    if (read) StartRead(&request_);
    if (finish) {
      if (!finish->ok()) log::Warn("publish stream=", id_, " finishing: ", finish->error_message());
      Finish(*finish);
    }
  }

  Hub* const hub_;
  const uint64_t id_;
  const std::string peer_;
  // Touched only by read reactions, and between them.
  v1::PublishRequest request_;
  std::string source_;
  absl::flat_hash_set<std::string> attached_;
  std::vector<std::shared_ptr<Project>> attached_projects_;

  std::unique_ptr<auth::GrantFollower> follower_;

  absl::Mutex mu_;
  auth::GrantPtr grant_ ABSL_GUARDED_BY(mu_);
  // Written only while no write is in flight (writing_ false).
  v1::PublishResponse response_;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool read_closed_ ABSL_GUARDED_BY(mu_) = false;
  int with_hub_ ABSL_GUARDED_BY(mu_) = 0;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool answered_first_ ABSL_GUARDED_BY(mu_) = false;
  bool owe_first_ ABSL_GUARDED_BY(mu_) = false;
  // A request was refused or the stream broke: no more acks.
  bool failed_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t pending_ack_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t sent_ack_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<grpc::Status> pending_finish_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

grpc::ServerBidiReactor<v1::PublishRequest, v1::PublishResponse>* IngestService::Publish(
    grpc::CallbackServerContext* context) {
  using Refused = RefusedReactor<grpc::ServerBidiReactor<v1::PublishRequest, v1::PublishResponse>>;
  auto identity = AuthenticateRpc(*access_, context);
  if (!identity.ok()) {
    log::Warn("publish from ", context->peer(), " refused: ", identity.status().message());
    CountRefusal(hub_->metrics(), identity.status());
    return new Refused(UnauthenticatedStatus(identity.status()));
  }
  if (!identity->grant->MayPublish()) {
    log::Warn("publish from ", context->peer(), " refused: token \"", identity->grant->subject(), "\" is a viewer's");
    const absl::Status refused = ViewerMayNotPublish(*identity->grant);
    CountRefusal(hub_->metrics(), refused);
    return new Refused(ToGrpcStatus(refused));
  }
  return new PublishReactor(hub_, next_stream_id_++, context->peer(), access_, *identity);
}

}  // namespace nanokit::hub
