#include "hub/hub.h"

#include <sys/random.h>

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/log.h"
#include "common/validate.h"
#include "protocol/names.h"

namespace nanokit::hub {

namespace v1 = nanokit::bridge::v1;

std::string NewEpoch() {
  uint64_t bits = 0;
  if (getrandom(&bits, sizeof(bits), 0) != sizeof(bits)) {
    bits = static_cast<uint64_t>(absl::ToUnixNanos(absl::Now()));
  }
  return absl::StrFormat("%016x", bits);
}

Hub::Hub(HubOptions options, std::unique_ptr<Store> store)
    : options_(options), store_(std::move(store)), epoch_(NewEpoch()) {}

Hub::~Hub() { Stop(); }

absl::Status Hub::Recover() {
  auto recovered = store_->Recover();
  if (!recovered.ok()) return recovered.status();
  {
    absl::MutexLock lock(&publish_mu_);
    for (const auto& [source, seq] : recovered->accepted_source_seq) {
      sources_[source] = SourceRecord{seq, absl::Now()};
    }
  }
  absl::MutexLock lock(&projects_mu_);
  for (auto& [name, stored] : recovered->projects) {
    projects_[name] = std::make_shared<Project>(name, std::move(stored), options_.project);
  }
  return absl::OkStatus();
}

void Hub::Start() {
  absl::MutexLock lock(&ticker_mu_);
  if (ticker_.joinable()) return;
  stopping_ = false;
  ticker_ = std::thread([this] { TickHeartbeats(); });
}

void Hub::Stop() {
  {
    absl::MutexLock lock(&ticker_mu_);
    stopping_ = true;
  }
  if (ticker_.joinable()) ticker_.join();
}

void Hub::TickHeartbeats() {
  absl::MutexLock lock(&ticker_mu_);
  while (!stopping_) {
    ticker_mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.heartbeat_interval);
    if (stopping_) break;
    std::vector<std::shared_ptr<Project>> projects;
    {
      absl::MutexLock projects_lock(&projects_mu_);
      for (const auto& [name, project] : projects_) projects.push_back(project);
    }
    ticker_mu_.Unlock();
    for (const auto& project : projects) project->Heartbeat();
    ticker_mu_.Lock();
  }
}

absl::StatusOr<std::shared_ptr<Project>> Hub::GetOrCreateProject(const std::string& name) {
  if (auto status = protocol::CheckProjectName(name); !status.ok()) return status;
  absl::MutexLock lock(&projects_mu_);
  auto it = projects_.find(name);
  if (it != projects_.end()) return it->second;
  if (projects_.size() >= options_.max_projects) {
    return absl::ResourceExhaustedError(absl::StrCat("the hub already holds ", projects_.size(), " projects"));
  }
  auto project = std::make_shared<Project>(name, epoch_, options_.project);
  projects_.emplace(name, project);
  return project;
}

std::shared_ptr<Project> Hub::FindProject(const std::string& name) const {
  absl::MutexLock lock(&projects_mu_);
  auto it = projects_.find(name);
  return it == projects_.end() ? nullptr : it->second;
}

absl::StatusOr<v1::ProjectSnapshot> Hub::Snapshot(const std::string& name) const {
  if (auto status = protocol::CheckProjectName(name); !status.ok()) return status;
  if (auto project = FindProject(name)) return project->Snapshot();
  v1::ProjectSnapshot empty;
  empty.set_project(name);
  empty.set_epoch(epoch_);
  return empty;
}

uint64_t Hub::AcceptedSourceSeq(const std::string& source) const {
  absl::MutexLock lock(&publish_mu_);
  auto it = sources_.find(source);
  return it == sources_.end() ? 0 : it->second.accepted;
}

void Hub::RememberSourceLocked(const std::string& source, uint64_t accepted) {
  SourceRecord& record = sources_[source];
  record.accepted = std::max(record.accepted, accepted);
  record.last_seen = absl::Now();
  if (sources_.size() <= options_.max_sources) return;
  auto oldest = sources_.begin();
  for (auto it = sources_.begin(); it != sources_.end(); ++it) {
    if (it->second.last_seen < oldest->second.last_seen) oldest = it;
  }
  if (oldest->first != source) sources_.erase(oldest);
}

absl::StatusOr<uint64_t> Hub::Publish(const std::string& source, v1::PublishRequest request) {
  // Validate everything before accepting anything: a request is all or none.
  for (const v1::Event& event : request.events()) {
    if (!event.source().empty() && event.source() != source) {
      return absl::InvalidArgumentError(
          absl::StrCat("event source \"", event.source().substr(0, 64), "\" differs from the stream's source"));
    }
    if (event.source_seq() == 0) return absl::InvalidArgumentError("event without source_seq");
    if (auto status = ValidatePublishedEvent(event); !status.ok()) return status;
  }

  absl::MutexLock lock(&publish_mu_);
  uint64_t accepted = 0;
  if (auto it = sources_.find(source); it != sources_.end()) accepted = it->second.accepted;
  const uint64_t before = accepted;

  // Group the new events by project, keeping their order.
  std::map<std::string, std::vector<v1::Event>> by_project;
  for (v1::Event& event : *request.mutable_events()) {
    if (event.source_seq() <= accepted) continue;  // already accepted: a retry
    accepted = event.source_seq();
    event.set_source(source);
    std::vector<v1::Event>& events = by_project[event.project()];
    events.emplace_back().Swap(&event);
  }
  if (accepted == before) {
    RememberSourceLocked(source, accepted);
    return accepted;
  }

  std::vector<std::shared_ptr<Project>> projects;
  for (const auto& [name, events] : by_project) {
    auto project = GetOrCreateProject(name);
    if (!project.ok()) return project.status();
    projects.push_back(*std::move(project));
  }
  // Each Append holds its project's lock (taken in name order) until the
  // batch is committed: no watcher or snapshot sees an uncommitted event.
  std::vector<std::unique_ptr<Project::Append>> appends;
  CommitBatch batch;
  batch.source = source;
  batch.accepted_source_seq = accepted;
  size_t i = 0;
  for (auto& [name, events] : by_project) {
    appends.push_back(std::make_unique<Project::Append>(projects[i++].get(), std::move(events)));
    batch.projects.push_back(appends.back()->Part());
  }
  if (auto status = store_->Commit(batch); !status.ok()) {
    log::Error("commit failed for source=", source, ": ", status.message());
    for (size_t j = 0; j < appends.size(); ++j) appends[j]->Revert(store_->LoadProject(projects[j]->name()));
    return absl::UnavailableError(absl::StrCat("the hub could not commit: ", status.message()));
  }
  for (auto& append : appends) append->Publish();
  RememberSourceLocked(source, accepted);
  return accepted;
}

}  // namespace nanokit::hub
