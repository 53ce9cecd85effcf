#include "hub/ingest_service.h"

#include <optional>

#include "absl/container/flat_hash_set.h"
#include "common/log.h"
#include "hub/rpc_auth.h"

namespace nanokit::hub {

namespace v1 = nanokit::bridge::v1;

namespace {

// One publishing core. Reads requests one at a time and hands each to the
// Hub, whose committer calls back once it is committed; the reaction itself
// returns at once. The next read starts from that callback, so one request
// per stream is with the hub at a time — and since Finish comes only after a
// failed read or a refused request, OnDone never comes while the hub holds
// a callback to this reactor. Acks coalesce: while a write is in flight only
// the newest pending ack is kept.
class PublishReactor final : public grpc::ServerBidiReactor<v1::PublishRequest, v1::PublishResponse> {
 public:
  PublishReactor(Hub* hub, uint64_t id, std::string peer) : hub_(hub), id_(id), peer_(std::move(peer)) {
    log::Info("publish stream=", id_, " opened from ", peer_);
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the core half-closed, or the stream broke
      FinishWhenIdle(grpc::Status::OK);
      return;
    }
    if (source_.empty()) {
      if (request_.source().empty() || request_.source().size() > 256) {
        FinishWhenIdle(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                    "the first PublishRequest must name its source (1-256 bytes)"));
        return;
      }
      source_ = request_.source();
      log::Info("publish stream=", id_, " source=", source_);
    } else if (!request_.source().empty() && request_.source() != source_) {
      FinishWhenIdle(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "a stream's source cannot change"));
      return;
    }
    for (const std::string& project : request_.projects()) {
      if (auto status = Attach(project); !status.ok()) {
        FinishWhenIdle(ToGrpcStatus(status));
        return;
      }
    }
    for (const v1::Event& event : request_.events()) {
      if (attached_.contains(event.project())) continue;
      if (auto status = Attach(event.project()); !status.ok()) {
        FinishWhenIdle(ToGrpcStatus(status));
        return;
      }
    }
    v1::PublishRequest request;
    request.Swap(&request_);
    hub_->Publish(source_, std::move(request), [this](absl::StatusOr<uint64_t> accepted) { OnPublished(accepted); });
  }

  // From the hub's committer (or at once, for a request refused whole).
  void OnPublished(const absl::StatusOr<uint64_t>& accepted) {
    if (!accepted.ok()) {
      log::Warn("publish stream=", id_, " source=", source_, " rejected: ", accepted.status().message());
      FinishWhenIdle(ToGrpcStatus(accepted.status()));
      return;
    }
    Acknowledge(*accepted);
    StartRead(&request_);
  }

  void OnWriteDone(bool ok) override {
    std::optional<grpc::Status> finish;
    bool write = false;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (ok && pending_ack_ > sent_ack_) {
        write = PrepareAckLocked();
      } else if (pending_finish_) {
        // On !ok the stream is broken and the read fails too; OnReadDone
        // then asks to finish, and we do it here or there.
        finish = std::move(pending_finish_);
        pending_finish_.reset();
        finished_ = true;
      }
    }
    if (write) StartWrite(&response_);
    if (finish) Finish(*finish);
  }

  void OnDone() override {
    for (const auto& project : attached_projects_) project->CoreDetached();
    log::Info("publish stream=", id_, " closed");
    delete this;
  }

 private:
  absl::Status Attach(const std::string& name) {
    if (attached_.contains(name)) return absl::OkStatus();
    auto project = hub_->GetOrCreateProject(name);
    if (!project.ok()) return project.status();
    (*project)->CoreAttached();
    attached_.insert(name);
    attached_projects_.push_back(*project);
    return absl::OkStatus();
  }

  void Acknowledge(uint64_t accepted) {
    bool write = false;
    {
      absl::MutexLock lock(&mu_);
      pending_ack_ = std::max(pending_ack_, accepted);
      // The first request always gets an answer, so a reconnecting core
      // learns where the hub stands even when it sent nothing new.
      const bool first = !any_ack_;
      any_ack_ = true;
      if (!writing_ && !finished_ && (first || pending_ack_ > sent_ack_)) write = PrepareAckLocked();
    }
    // Never call into gRPC with our lock held: a reaction may need it.
    if (write) StartWrite(&response_);
  }

  bool PrepareAckLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    writing_ = true;
    sent_ack_ = pending_ack_;
    response_.set_acked_source_seq(sent_ack_);
    return true;
  }

  void FinishWhenIdle(grpc::Status status) {
    if (!status.ok()) log::Warn("publish stream=", id_, " finishing: ", status.error_message());
    bool finish_now = false;
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      if (writing_) {
        pending_finish_ = std::move(status);
      } else {
        finished_ = true;
        finish_now = true;
      }
    }
    if (finish_now) Finish(status);
  }

  Hub* const hub_;
  const uint64_t id_;
  const std::string peer_;
  v1::PublishRequest request_;  // touched only by read reactions
  std::string source_;
  absl::flat_hash_set<std::string> attached_;
  std::vector<std::shared_ptr<Project>> attached_projects_;

  absl::Mutex mu_;
  // Written only while no write is in flight (writing_ false).
  v1::PublishResponse response_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool any_ack_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t pending_ack_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t sent_ack_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<grpc::Status> pending_finish_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

grpc::ServerBidiReactor<v1::PublishRequest, v1::PublishResponse>* IngestService::Publish(
    grpc::CallbackServerContext* context) {
  if (!IsAuthorized(auth_, context)) {
    log::Warn("publish from ", context->peer(), " refused: missing or wrong token");
    return new RefusedReactor<grpc::ServerBidiReactor<v1::PublishRequest, v1::PublishResponse>>(
        UnauthenticatedStatus());
  }
  return new PublishReactor(hub_, next_stream_id_++, context->peer());
}

}  // namespace nanokit::hub
