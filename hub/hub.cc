#include "hub/hub.h"

#include <sys/random.h>

#include <algorithm>
#include <deque>
#include <map>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/log.h"
#include "protocol/names.h"
#include "protocol/validate.h"

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
    absl::MutexLock lock(&sources_mu_);
    for (const auto& [source, seq] : recovered->accepted_source_seq) {
      sources_[source] = SourceRecord{seq, absl::Now()};
    }
  }
  absl::MutexLock lock(&projects_mu_);
  for (auto& [name, stored] : recovered->projects) {
    projects_[name] = std::make_shared<Project>(name, std::move(stored), options_.project);
  }
  metrics_.projects.Set(static_cast<int64_t>(projects_.size()));
  return absl::OkStatus();
}

void Hub::Start() {
  {
    absl::MutexLock lock(&queue_mu_);
    if (committer_.joinable()) return;
    accepting_ = true;
  }
  committer_ = std::thread([this] { RunCommitter(); });
  absl::MutexLock lock(&ticker_mu_);
  stopping_ = false;
  ticker_ = std::thread([this] { RunTicker(); });
}

void Hub::Stop() {
  {
    absl::MutexLock lock(&queue_mu_);
    accepting_ = false;
  }
  if (committer_.joinable()) committer_.join();
  {
    absl::MutexLock lock(&ticker_mu_);
    stopping_ = true;
  }
  if (ticker_.joinable()) ticker_.join();
}

void Hub::RunTicker() {
  absl::Time next_heartbeat = absl::Now() + options_.heartbeat_interval;
  absl::Time next_list = absl::Now() + options_.project_list_interval;
  while (true) {
    {
      absl::MutexLock lock(&ticker_mu_);
      ticker_mu_.AwaitWithTimeout(absl::Condition(&stopping_), std::min(next_heartbeat, next_list) - absl::Now());
      if (stopping_) return;
    }
    const absl::Time now = absl::Now();
    if (now >= next_list) {
      UpdateDirectory();
      next_list = now + options_.project_list_interval;
    }
    if (now >= next_heartbeat) {
      std::vector<std::shared_ptr<Project>> projects;
      {
        absl::MutexLock lock(&projects_mu_);
        for (const auto& [name, project] : projects_) projects.push_back(project);
      }
      for (const auto& project : projects) project->Heartbeat();
      next_heartbeat = now + options_.heartbeat_interval;
    }
  }
}

void Hub::UpdateDirectory() {
  std::vector<std::shared_ptr<Project>> projects;
  {
    absl::MutexLock lock(&projects_mu_);
    projects.reserve(projects_.size());
    for (const auto& [name, project] : projects_) projects.push_back(project);
  }
  std::vector<v1::ProjectSummary> listed;
  for (const auto& project : projects) {
    if (auto summary = project->Summary()) listed.push_back(*std::move(summary));
  }
  directory_.Update(std::move(listed));
}

void Hub::WatchProjects(ProjectListSink* sink) {
  // Up to date before the first list, so a project published a moment ago
  // is in it.
  UpdateDirectory();
  directory_.Watch(sink);
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
  metrics_.projects.Set(static_cast<int64_t>(projects_.size()));
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
  absl::MutexLock lock(&sources_mu_);
  auto it = sources_.find(source);
  return it == sources_.end() ? 0 : it->second.accepted;
}

void Hub::RememberSources(const absl::flat_hash_map<std::string, uint64_t>& accepted) {
  absl::MutexLock lock(&sources_mu_);
  const absl::Time now = absl::Now();
  for (const auto& [source, seq] : accepted) {
    SourceRecord& record = sources_[source];
    record.accepted = std::max(record.accepted, seq);
    record.last_seen = now;
  }
  while (sources_.size() > options_.max_sources) {
    auto oldest = sources_.begin();
    for (auto it = sources_.begin(); it != sources_.end(); ++it) {
      if (it->second.last_seen < oldest->second.last_seen) oldest = it;
    }
    sources_.erase(oldest);
  }
}

void Hub::Publish(const std::string& source, v1::PublishRequest request, PublishDone done) {
  // Validate everything before accepting anything: a request is all or none.
  for (const v1::Event& event : request.events()) {
    absl::Status status;
    if (!event.source().empty() && event.source() != source) {
      status = absl::InvalidArgumentError(
          absl::StrCat("event source ", protocol::Quoted(event.source()), " differs from the stream's source"));
    } else if (event.source_seq() == 0) {
      status = absl::InvalidArgumentError("event without source_seq");
    } else {
      status = ValidatePublishedEvent(event);
    }
    if (!status.ok()) return done(status);
  }
  {
    absl::MutexLock lock(&queue_mu_);
    if (accepting_) {
      queue_.push_back({source, std::move(request), std::move(done)});
      return;
    }
  }
  done(absl::UnavailableError("the hub is shutting down"));
}

absl::StatusOr<uint64_t> Hub::PublishAndWait(const std::string& source, v1::PublishRequest request) {
  absl::Mutex mu;
  std::optional<absl::StatusOr<uint64_t>> outcome;
  Publish(source, std::move(request), [&](absl::StatusOr<uint64_t> accepted) {
    absl::MutexLock lock(&mu);
    outcome = std::move(accepted);
  });
  absl::MutexLock lock(&mu);
  mu.Await(absl::Condition(+[](std::optional<absl::StatusOr<uint64_t>>* o) { return o->has_value(); }, &outcome));
  return *std::move(outcome);
}

void Hub::RunCommitter() {
  while (true) {
    std::vector<WaitingPublish> group;
    {
      absl::MutexLock lock(&queue_mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mu_) { return !queue_.empty() || !accepting_; };
      queue_mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // stopped, and nothing left to commit
      // Everything waiting, up to the group's bounds (at least one request).
      size_t take = 0;
      size_t events = 0;
      while (take < queue_.size() && take < options_.max_group_requests &&
             (take == 0 || events + static_cast<size_t>(queue_[take].request.events_size()) <= options_.max_group_events)) {
        events += static_cast<size_t>(queue_[take].request.events_size());
        ++take;
      }
      group.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.begin() + take));
      queue_.erase(queue_.begin(), queue_.begin() + take);
    }
    CommitGroup(std::move(group));
  }
}

void Hub::SetStoreWritable(bool writable) {
  if (writable == store_writable_) return;
  store_writable_ = writable;
  if (writable) log::Info("the store takes commits again");
  if (options_.on_store_health) options_.on_store_health(writable);
}

void Hub::CommitGroup(std::vector<WaitingPublish> group) {
  const absl::Time started = absl::Now();
  uint64_t duplicates = 0;
  // Each project's new events, in arrival order; projects in name order.
  struct ProjectWork {
    std::shared_ptr<Project> project;
    std::vector<v1::Event> events;
  };
  std::map<std::string, ProjectWork> work;
  // Each source as this group leaves it: committed, plus earlier requests
  // of the group (a source may have several, across reconnects).
  absl::flat_hash_map<std::string, uint64_t> accepted;
  std::vector<absl::StatusOr<uint64_t>> outcomes;
  outcomes.reserve(group.size());
  for (WaitingPublish& waiting : group) {
    auto [it, inserted] = accepted.try_emplace(waiting.source, 0);
    if (inserted) it->second = AcceptedSourceSeq(waiting.source);
    uint64_t& source_accepted = it->second;
    // Every project first: a request that cannot have one is refused whole.
    absl::Status refused;
    for (const v1::Event& event : waiting.request.events()) {
      if (event.source_seq() <= source_accepted || work.contains(event.project())) continue;
      auto project = GetOrCreateProject(event.project());
      if (!project.ok()) {
        refused = project.status();
        break;
      }
      work[event.project()].project = *std::move(project);
    }
    if (!refused.ok()) {
      outcomes.push_back(refused);
      continue;
    }
    for (v1::Event& event : *waiting.request.mutable_events()) {
      if (event.source_seq() <= source_accepted) {  // already accepted: a retry
        ++duplicates;
        continue;
      }
      source_accepted = event.source_seq();
      event.set_source(waiting.source);
      work[event.project()].events.emplace_back().Swap(&event);
    }
    outcomes.push_back(source_accepted);
  }

  StoreCommit commit;
  uint64_t staged = 0;
  uint64_t unstaged = 0;
  for (auto& [name, project_work] : work) {
    unstaged += project_work.events.size();
    project_work.project->Stage(project_work.events);
    staged += project_work.events.size();
    if (project_work.events.empty()) continue;
    StoreCommit::ProjectPart& part = commit.projects.emplace_back();
    part.project = name;
    part.epoch = project_work.project->epoch();
    part.events.reserve(project_work.events.size());
    for (const v1::Event& event : project_work.events) part.events.push_back(&event);
  }
  for (const auto& [source, seq] : accepted) {
    if (seq > AcceptedSourceSeq(source)) commit.sources.push_back({source, seq});
  }
  if (!commit.projects.empty() || !commit.sources.empty()) {
    if (absl::Status status = store_->Commit(commit); !status.ok()) {
      // Nothing of the group was applied: the state stays what is committed,
      // and the publishers resend.
      log::Error("commit of ", group.size(), " publishes failed: ", status.message());
      SetStoreWritable(false);
      const absl::Status unavailable =
          absl::UnavailableError(absl::StrCat("the hub could not commit: ", status.message()));
      for (size_t i = 0; i < group.size(); ++i) group[i].done(outcomes[i].ok() ? unavailable : outcomes[i].status());
      metrics_.commit_seconds.Observe(absl::Now() - started);
      return;
    }
  }
  StoreCommit snapshots;
  std::deque<v1::ProjectSnapshot> snapshot_storage;  // what snapshots points into
  for (auto& [name, project_work] : work) {
    auto due = project_work.project->Apply(std::move(project_work.events));
    if (!due) continue;
    StoreCommit::ProjectPart& part = snapshots.projects.emplace_back();
    part.project = name;
    part.epoch = project_work.project->epoch();
    snapshot_storage.push_back(std::move(due->snapshot));
    part.snapshot = &snapshot_storage.back();
    part.forget_upto = due->forget_upto;
  }
  SetStoreWritable(true);
  RememberSources(accepted);
  for (size_t i = 0; i < group.size(); ++i) group[i].done(std::move(outcomes[i]));
  metrics_.events_accepted.Add(staged);
  metrics_.events_noop.Add(unstaged - staged);
  metrics_.events_duplicate.Add(duplicates);
  metrics_.commit_seconds.Observe(absl::Now() - started);
  // The full state every so often, so that a restart replays little. In its
  // own transaction, after the acknowledgements: until it is written, the
  // previous snapshot and the events after it restore the same state.
  if (!snapshots.projects.empty()) {
    if (absl::Status status = store_->Commit(snapshots); !status.ok()) {
      log::Warn("writing ", snapshots.projects.size(), " snapshots failed (a restart replays more): ",
                status.message());
    }
  }
}

}  // namespace nanokit::hub
