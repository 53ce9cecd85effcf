#include "protocol/project_state.h"

#include "absl/container/flat_hash_map.h"
#include "protocol/state_digest.h"

namespace nanokit {

namespace v1 = nanokit::bridge::v1;

ProjectState::ProjectState(std::string project, std::string epoch, size_t log_lines_per_resource)
    : project_(std::move(project)), epoch_(std::move(epoch)), log_lines_per_resource_(log_lines_per_resource) {}

ProjectState ProjectState::FromSnapshot(const v1::ProjectSnapshot& snapshot, size_t log_lines_per_resource) {
  ProjectState state(snapshot.project(), snapshot.epoch(), log_lines_per_resource);
  state.seq_ = snapshot.seq();
  for (const v1::ResourceState& r : snapshot.resources()) {
    Resource& resource = state.resources_[r.resource_id()];
    resource.state = r;
    resource.state.clear_recent_logs();
    for (const v1::LogLine& line : r.recent_logs()) resource.logs.push_back(line);
    while (resource.logs.size() > log_lines_per_resource) resource.logs.pop_front();
  }
  if (snapshot.has_reconcile()) state.reconcile_ = snapshot.reconcile();
  return state;
}

ProjectState::Fields ProjectState::FieldsOf(absl::string_view resource_id) const {
  auto it = resources_.find(resource_id);
  if (it == resources_.end()) return {};
  const v1::ResourceState& state = it->second.state;
  return {true, state.status(), state.message(), state.kind()};
}

bool ProjectState::StatusChanges(const Fields& current, const v1::StatusUpdate& update) {
  if (update.removed()) return current.exists;
  if (!current.exists) return true;
  return current.status != update.status() || current.message != update.message() ||
         (!update.kind().empty() && current.kind != update.kind());
}

bool ProjectState::Changes(const v1::Event& event) const {
  switch (event.payload_case()) {
    case v1::Event::kStatusUpdate:
      return StatusChanges(FieldsOf(event.status_update().resource_id()), event.status_update());
    case v1::Event::kLogStream:
      return event.log_stream().lines_size() > 0 || event.log_stream().dropped_lines() > 0;
    case v1::Event::kReconcileStart:
    case v1::Event::kReconcileEnd:
      return true;
    case v1::Event::PAYLOAD_NOT_SET:
      return false;
  }
  return false;
}

void ProjectState::Stage(google::protobuf::RepeatedPtrField<v1::Event>& events) const {
  // The resources the earlier events of the list change, as they leave them
  // (views into the events, which stay where they are).
  absl::flat_hash_map<absl::string_view, Fields> changed;
  auto fields = [&](absl::string_view id) {
    auto it = changed.find(id);
    return it != changed.end() ? it->second : FieldsOf(id);
  };
  uint64_t seq = seq_;
  int kept = 0;
  for (int i = 0; i < events.size(); ++i) {
    v1::Event& event = *events.Mutable(i);
    bool changes = false;
    switch (event.payload_case()) {
      case v1::Event::kStatusUpdate: {
        const v1::StatusUpdate& update = event.status_update();
        const Fields current = fields(update.resource_id());
        changes = StatusChanges(current, update);
        if (!changes) break;
        if (update.removed()) {
          changed[update.resource_id()] = Fields{};
        } else {
          changed[update.resource_id()] = {true, update.status(), update.message(),
                                           update.kind().empty() ? current.kind : update.kind()};
        }
        break;
      }
      case v1::Event::kLogStream: {
        changes = Changes(event);
        // Output from a resource that has no status yet makes it exist.
        if (changes && !fields(event.log_stream().resource_id()).exists) {
          changed[event.log_stream().resource_id()] = {true, v1::UNKNOWN, "", ""};
        }
        break;
      }
      case v1::Event::kReconcileStart:
      case v1::Event::kReconcileEnd:
        changes = true;
        break;
      case v1::Event::PAYLOAD_NOT_SET:
        break;
    }
    if (!changes) continue;
    event.set_seq(++seq);
    // Elements are pointers: the events themselves stay where they are.
    if (kept != i) events.SwapElements(kept, i);
    ++kept;
  }
  events.DeleteSubrange(kept, events.size() - kept);
}

void ProjectState::Apply(const v1::Event& event) {
  if (event.seq() > seq_) seq_ = event.seq();
  digest_.clear();
  switch (event.payload_case()) {
    case v1::Event::kStatusUpdate: {
      const v1::StatusUpdate& update = event.status_update();
      if (update.removed()) {
        resources_.erase(update.resource_id());
        return;
      }
      Resource& resource = resources_[update.resource_id()];
      v1::ResourceState& state = resource.state;
      state.set_resource_id(update.resource_id());
      if (!update.kind().empty()) state.set_kind(update.kind());
      state.set_status(update.status());
      state.set_message(update.message());
      *state.mutable_updated_at() = event.emitted_at();
      state.set_seq(event.seq());
      return;
    }
    case v1::Event::kLogStream: {
      const v1::LogStream& logs = event.log_stream();
      Resource& resource = resources_[logs.resource_id()];
      if (resource.state.resource_id().empty()) {
        // Output from a resource that has no status yet: it exists, UNKNOWN.
        resource.state.set_resource_id(logs.resource_id());
        *resource.state.mutable_updated_at() = event.emitted_at();
        resource.state.set_seq(event.seq());
      }
      for (const std::string& text : logs.lines()) {
        v1::LogLine line;
        line.set_stream(logs.stream());
        line.set_text(text);
        resource.logs.push_back(std::move(line));
      }
      while (resource.logs.size() > log_lines_per_resource_) resource.logs.pop_front();
      return;
    }
    case v1::Event::kReconcileStart: {
      reconcile_.Clear();
      reconcile_.set_reconcile_id(event.reconcile_start().reconcile_id());
      *reconcile_.mutable_actions() = event.reconcile_start().actions();
      *reconcile_.mutable_started_at() = event.emitted_at();
      reconcile_.set_running(true);
      return;
    }
    case v1::Event::kReconcileEnd: {
      const v1::ReconcileEnd& end = event.reconcile_end();
      if (reconcile_.reconcile_id() != end.reconcile_id()) {
        // The start was never seen (e.g. before the history began): keep
        // what is known, the end.
        reconcile_.Clear();
        reconcile_.set_reconcile_id(end.reconcile_id());
      }
      reconcile_.set_running(false);
      reconcile_.set_outcome(end.outcome());
      reconcile_.set_message(end.message());
      *reconcile_.mutable_ended_at() = event.emitted_at();
      return;
    }
    case v1::Event::PAYLOAD_NOT_SET:
      return;
  }
}

v1::ProjectSnapshot ProjectState::ToSnapshot() const {
  v1::ProjectSnapshot snapshot;
  snapshot.set_project(project_);
  snapshot.set_epoch(epoch_);
  snapshot.set_seq(seq_);
  snapshot.mutable_resources()->Reserve(static_cast<int>(resources_.size()));
  for (const auto& [id, resource] : resources_) {
    v1::ResourceState* out = snapshot.add_resources();
    *out = resource.state;
    for (const v1::LogLine& line : resource.logs) *out->add_recent_logs() = line;
  }
  if (!reconcile_.reconcile_id().empty()) *snapshot.mutable_reconcile() = reconcile_;
  return snapshot;
}

const std::string& ProjectState::Digest() const {
  if (!digest_.empty()) return digest_;
  protocol::StateDigest digest;
  for (const auto& [id, resource] : resources_) {
    const v1::ResourceState& state = resource.state;
    digest.AddResource(id, state.kind(), v1::Status_Name(state.status()), state.message());
  }
  if (!reconcile_.reconcile_id().empty()) {
    digest.AddReconcile(reconcile_.reconcile_id(), reconcile_.running(),
                        v1::ReconcileEnd::Outcome_Name(reconcile_.outcome()));
  }
  digest_ = digest.Hex();
  return digest_;
}

const v1::ResourceState* ProjectState::Find(const std::string& resource_id) const {
  auto it = resources_.find(resource_id);
  return it == resources_.end() ? nullptr : &it->second.state;
}

}  // namespace nanokit
