#include "core_client/activity_manager.h"

#include <algorithm>

#include "protocol/proto_time.h"

namespace nanokit::client {

namespace v1 = nanokit::bridge::v1;

ActivityManager::ActivityManager(std::string project) : project_(std::move(project)) {}

int ActivityManager::AddListener(Listener listener) {
  absl::MutexLock lock(&mu_);
  int id = next_listener_id_++;
  listeners_.emplace_back(id, std::move(listener));
  return id;
}

void ActivityManager::RemoveListener(int id) {
  absl::MutexLock lock(&mu_);
  listeners_.erase(std::remove_if(listeners_.begin(), listeners_.end(), [id](const auto& l) { return l.first == id; }),
                   listeners_.end());
}

void ActivityManager::EmitLocked(v1::Event& event) {
  event.set_project(project_);
  *event.mutable_emitted_at() = NowTimestamp();
  for (const auto& [id, listener] : listeners_) listener(event);
}

bool ActivityManager::SetStatus(const std::string& resource_id, v1::Status status, const std::string& message,
                                const std::string& kind) {
  absl::MutexLock lock(&mu_);
  auto it = resources_.find(resource_id);
  if (it != resources_.end() && it->second.status == status && it->second.message == message &&
      it->second.kind == kind) {
    return false;
  }
  resources_[resource_id] = Known{status, message, kind};
  v1::Event event;
  v1::StatusUpdate* update = event.mutable_status_update();
  update->set_resource_id(resource_id);
  update->set_kind(kind);
  update->set_status(status);
  update->set_message(message);
  EmitLocked(event);
  return true;
}

bool ActivityManager::RemoveResource(const std::string& resource_id) {
  absl::MutexLock lock(&mu_);
  if (resources_.erase(resource_id) == 0) return false;
  v1::Event event;
  event.mutable_status_update()->set_resource_id(resource_id);
  event.mutable_status_update()->set_removed(true);
  EmitLocked(event);
  return true;
}

void ActivityManager::AppendLogs(const std::string& resource_id, std::vector<std::string> lines,
                                 v1::LogStream::Stream stream) {
  if (lines.empty()) return;
  absl::MutexLock lock(&mu_);
  v1::Event event;
  v1::LogStream* logs = event.mutable_log_stream();
  logs->set_resource_id(resource_id);
  logs->set_stream(stream);
  for (std::string& line : lines) logs->add_lines(std::move(line));
  EmitLocked(event);
}

void ActivityManager::BeginReconcile(const std::string& reconcile_id, const std::vector<v1::PlannedAction>& actions) {
  absl::MutexLock lock(&mu_);
  v1::Event event;
  event.mutable_reconcile_start()->set_reconcile_id(reconcile_id);
  for (const auto& action : actions) *event.mutable_reconcile_start()->add_actions() = action;
  EmitLocked(event);
}

void ActivityManager::EndReconcile(const std::string& reconcile_id, v1::ReconcileEnd::Outcome outcome,
                                   const std::string& message) {
  absl::MutexLock lock(&mu_);
  v1::Event event;
  event.mutable_reconcile_end()->set_reconcile_id(reconcile_id);
  event.mutable_reconcile_end()->set_outcome(outcome);
  event.mutable_reconcile_end()->set_message(message);
  EmitLocked(event);
}

std::optional<v1::Status> ActivityManager::StatusOf(const std::string& resource_id) const {
  absl::MutexLock lock(&mu_);
  auto it = resources_.find(resource_id);
  if (it == resources_.end()) return std::nullopt;
  return it->second.status;
}

}  // namespace nanokit::client
