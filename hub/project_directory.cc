#include "hub/project_directory.h"

#include <algorithm>

namespace nanokit::hub {

namespace v1 = nanokit::bridge::v1;

namespace {

bool SameSummary(const v1::ProjectSummary& a, const v1::ProjectSummary& b) {
  return a.seq() == b.seq() && a.core_connected() == b.core_connected() &&
         a.core_changed_at().seconds() == b.core_changed_at().seconds() &&
         a.core_changed_at().nanos() == b.core_changed_at().nanos() &&
         a.last_change_at().seconds() == b.last_change_at().seconds() &&
         a.last_change_at().nanos() == b.last_change_at().nanos();
}

}  // namespace

void ProjectDirectory::Update(std::vector<v1::ProjectSummary> listed) {
  std::sort(listed.begin(), listed.end(),
            [](const v1::ProjectSummary& a, const v1::ProjectSummary& b) { return a.project() < b.project(); });
  absl::MutexLock lock(&mu_);
  auto change = std::make_shared<v1::ProjectList>();
  absl::btree_map<std::string, v1::ProjectSummary> next;
  for (v1::ProjectSummary& summary : listed) {
    auto it = listed_.find(summary.project());
    if (it == listed_.end() || !SameSummary(it->second, summary)) *change->add_projects() = summary;
    std::string name = summary.project();
    next.emplace(std::move(name), std::move(summary));
  }
  for (const auto& [name, summary] : listed_) {
    if (!next.contains(name)) change->add_removed(name);
  }
  listed_ = std::move(next);
  if (change->projects().empty() && change->removed().empty()) return;
  for (ProjectListSink* sink : sinks_) {
    if (!sink->Deliver(change)) sink->Resync(FullListLocked());
  }
}

void ProjectDirectory::Watch(ProjectListSink* sink) {
  absl::MutexLock lock(&mu_);
  sinks_.push_back(sink);
  sink->Resync(FullListLocked());
}

void ProjectDirectory::Unwatch(ProjectListSink* sink) {
  absl::MutexLock lock(&mu_);
  sinks_.erase(std::remove(sinks_.begin(), sinks_.end(), sink), sinks_.end());
}

void ProjectDirectory::Resync(ProjectListSink* sink) {
  absl::MutexLock lock(&mu_);
  if (std::find(sinks_.begin(), sinks_.end(), sink) != sinks_.end()) sink->Resync(FullListLocked());
}

std::shared_ptr<const v1::ProjectList> ProjectDirectory::FullListLocked() const {
  auto full = std::make_shared<v1::ProjectList>();
  full->set_full(true);
  for (const auto& [name, summary] : listed_) *full->add_projects() = summary;
  return full;
}

}  // namespace nanokit::hub
