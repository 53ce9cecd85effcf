#include "hub/hub.h"

#include <sys/random.h>

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <utility>

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
    : options_(options), epoch_(NewEpoch()), store_(std::move(store)) {}

namespace {

// How often a group is staged again after other hubs committed first before
// its publishers are told to resend.
constexpr int kMaxSharedAttempts = 50;

}  // namespace

Hub::~Hub() { Stop(); }

absl::Status Hub::Recover() {
  store_->SetWake([this] {
    absl::MutexLock lock(&queue_mu_);
    shared_ready_ = true;
  });
  store_->SetOnRemoteCores([this](const absl::flat_hash_set<std::string>& projects) { ApplyRemoteCores(projects); });
  auto recovered = store_->Recover();
  if (!recovered.ok()) return recovered.status();
  if (!recovered->epoch.empty()) {
    absl::MutexLock lock(&projects_mu_);
    epoch_ = recovered->epoch;
  }
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
  std::vector<std::string> with_cores;
  for (const auto& project : projects) {
    if (auto summary = project->Summary()) listed.push_back(*std::move(summary));
    if (project->HasLocalCore()) with_cores.push_back(project->name());
  }
  directory_.Update(std::move(listed));
  store_->ShareCores(with_cores);
}

void Hub::WatchProjects(ProjectListSink* sink) {
  // Up to date before the first list, so a project published a moment ago
  // is in it.
  UpdateDirectory();
  directory_.Watch(sink);
}

absl::StatusOr<std::shared_ptr<Project>> Hub::GetOrCreateProject(const std::string& name) {
  return GetOrCreateProject(name, /*bounded=*/true);
}

absl::StatusOr<std::shared_ptr<Project>> Hub::GetOrCreateProject(const std::string& name, bool bounded) {
  if (auto status = protocol::CheckProjectName(name); !status.ok()) return status;
  absl::MutexLock lock(&projects_mu_);
  auto it = projects_.find(name);
  if (it != projects_.end()) return it->second;
  if (bounded && projects_.size() >= options_.max_projects) {
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
  absl::MutexLock lock(&projects_mu_);
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
    bool apply_shared = false;
    {
      absl::MutexLock lock(&queue_mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mu_) {
        return !queue_.empty() || !accepting_ || shared_ready_;
      };
      queue_mu_.Await(absl::Condition(&ready));
      // Other hubs' commits are applied as soon as the store ordered them,
      // publishes or not.
      apply_shared = std::exchange(shared_ready_, false);
      if (!apply_shared && queue_.empty()) return;  // stopped, and nothing left to commit
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
    if (apply_shared) ApplyShared(store_->TakeShared());
    if (group.empty()) continue;
    if (store_->shared()) {
      CommitGroupShared(std::move(group));
    } else {
      CommitGroup(std::move(group));
    }
  }
}

void Hub::SetStoreWritable(bool writable) {
  if (writable == store_writable_) return;
  store_writable_ = writable;
  if (writable) log::Info("the store takes commits again");
  if (options_.on_store_health) options_.on_store_health(writable);
}

void Hub::StageGroup(std::vector<WaitingPublish>& group, bool copy_events, GroupWork* work) {
  for (WaitingPublish& waiting : group) {
    auto [it, inserted] = work->accepted.try_emplace(waiting.source, 0);
    if (inserted) it->second = AcceptedSourceSeq(waiting.source);
    uint64_t& source_accepted = it->second;
    // Every project first: a request that cannot have one is refused whole.
    absl::Status refused;
    for (const v1::Event& event : waiting.request.events()) {
      if (event.source_seq() <= source_accepted || work->projects.contains(event.project())) continue;
      auto project = GetOrCreateProject(event.project());
      if (!project.ok()) {
        refused = project.status();
        break;
      }
      work->projects[event.project()].project = *std::move(project);
    }
    if (!refused.ok()) {
      work->outcomes.push_back(refused);
      continue;
    }
    // The events themselves are taken from the request (it owns each by
    // pointer), unless the group may have to be staged again.
    EventList& events = *waiting.request.mutable_events();
    std::vector<v1::Event*> owned;
    if (!copy_events) {
      owned.resize(static_cast<size_t>(events.size()));
      events.ExtractSubrange(0, events.size(), owned.data());
    }
    // A request's events are nearly always of one project: look it up once
    // per run of them, not per event.
    GroupWork::ProjectWork* project_work = nullptr;
    const std::string* project_name = nullptr;
    for (size_t i = 0; i < (copy_events ? static_cast<size_t>(events.size()) : owned.size()); ++i) {
      const v1::Event& event = copy_events ? events.Get(static_cast<int>(i)) : *owned[i];
      if (event.source_seq() <= source_accepted) {  // already accepted: a retry
        ++work->duplicates;
        if (!copy_events) delete owned[i];
        continue;
      }
      source_accepted = event.source_seq();
      if (project_name == nullptr || event.project() != *project_name) {
        auto it = work->projects.try_emplace(event.project()).first;  // there: made above
        project_name = &it->first;
        project_work = &it->second;
      }
      v1::Event* taken;
      if (copy_events) {
        taken = project_work->events.Add();
        *taken = event;
      } else {
        taken = owned[i];
        project_work->events.AddAllocated(taken);
      }
      taken->set_source(waiting.source);
    }
    work->outcomes.push_back(source_accepted);
  }

  for (auto& [name, project_work] : work->projects) {
    work->unstaged += project_work.events.size();
    project_work.project->Stage(project_work.events);
    work->staged += project_work.events.size();
    if (project_work.events.empty()) continue;
    StoreCommit::ProjectPart& part = work->commit.projects.emplace_back();
    part.project = name;
    part.epoch = project_work.project->epoch();
    part.events.reserve(project_work.events.size());
    for (const v1::Event& event : project_work.events) part.events.push_back(&event);
  }
  for (const auto& [source, seq] : work->accepted) {
    if (seq > AcceptedSourceSeq(source)) work->commit.sources.push_back({source, seq});
  }
}

void Hub::CommitGroup(std::vector<WaitingPublish> group) {
  const absl::Time started = absl::Now();
  GroupWork work;
  StageGroup(group, /*copy_events=*/false, &work);
  const StoreCommit& commit = work.commit;
  if (!commit.projects.empty() || !commit.sources.empty()) {
    if (absl::Status status = store_->Commit(commit); !status.ok()) {
      // Nothing of the group was applied: the state stays what is committed,
      // and the publishers resend.
      log::Error("commit of ", group.size(), " publishes failed: ", status.message());
      SetStoreWritable(false);
      const absl::Status unavailable =
          absl::UnavailableError(absl::StrCat("the hub could not commit: ", status.message()));
      for (size_t i = 0; i < group.size(); ++i) {
        group[i].done(work.outcomes[i].ok() ? unavailable : work.outcomes[i].status());
      }
      metrics_.commit_seconds.Observe(absl::Now() - started);
      return;
    }
  }
  StoreCommit snapshots;
  std::deque<v1::ProjectSnapshot> snapshot_storage;  // what snapshots points into
  for (auto& [name, project_work] : work.projects) {
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
  RememberSources(work.accepted);
  for (size_t i = 0; i < group.size(); ++i) group[i].done(std::move(work.outcomes[i]));
  metrics_.events_accepted.Add(work.staged);
  metrics_.events_noop.Add(work.unstaged - work.staged);
  metrics_.events_duplicate.Add(work.duplicates);
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

void Hub::CommitGroupShared(std::vector<WaitingPublish> group) {
  // A commit is one message of the store: a group larger than one goes in
  // pieces, one after the other, and so does a request larger than one,
  // cut between events (they are in source_seq order, so each piece's
  // marks cover exactly what is committed). Bytes as the store encodes
  // them: the events with their source.
  const size_t budget = store_->max_commit_bytes();
  auto event_bytes = [](const std::string& source, const v1::Event& event) {
    return event.ByteSizeLong() + source.size() + 24;
  };
  std::vector<WaitingPublish> pieces;
  std::vector<size_t> owner;  // the group's request each piece is part of
  std::vector<size_t> piece_bytes;
  for (size_t i = 0; i < group.size(); ++i) {
    WaitingPublish& waiting = group[i];
    size_t bytes = 0;
    for (const v1::Event& event : waiting.request.events()) bytes += event_bytes(waiting.source, event);
    if (budget == 0 || bytes <= budget) {
      pieces.push_back(WaitingPublish{waiting.source, std::move(waiting.request), nullptr});
      owner.push_back(i);
      piece_bytes.push_back(bytes);
      continue;
    }
    v1::PublishRequest* current = nullptr;
    size_t current_bytes = 0;
    for (v1::Event& event : *waiting.request.mutable_events()) {
      const size_t size = event_bytes(waiting.source, event);
      if (current == nullptr || current_bytes + size > budget) {
        pieces.push_back(WaitingPublish{waiting.source, v1::PublishRequest(), nullptr});
        owner.push_back(i);
        piece_bytes.push_back(0);
        current = &pieces.back().request;
        current->set_source(waiting.request.source());
        current_bytes = 0;
      }
      current->add_events()->Swap(&event);
      current_bytes += size;
      piece_bytes.back() = current_bytes;
    }
  }
  std::vector<std::optional<absl::StatusOr<uint64_t>>> outcomes(group.size());
  absl::Status failed;
  size_t next = 0;
  while (next < pieces.size()) {
    std::vector<WaitingPublish> together;
    std::vector<size_t> owners;
    size_t bytes = 0;
    while (next < pieces.size() && (together.empty() || budget == 0 || bytes + piece_bytes[next] <= budget)) {
      bytes += piece_bytes[next];
      owners.push_back(owner[next]);
      together.push_back(std::move(pieces[next++]));
    }
    // After a failed piece nothing later is committed: a later piece of the
    // same source would move its mark past the events that failed.
    std::vector<absl::StatusOr<uint64_t>> results =
        failed.ok() ? CommitSharedOnce(together)
                    : std::vector<absl::StatusOr<uint64_t>>(together.size(), failed);
    for (size_t k = 0; k < results.size(); ++k) {
      std::optional<absl::StatusOr<uint64_t>>& outcome = outcomes[owners[k]];
      if (!results[k].ok()) {
        if (failed.ok()) failed = results[k].status();
        if (!outcome || outcome->ok()) outcome = results[k].status();
      } else if (!outcome || (outcome->ok() && **outcome < *results[k])) {
        outcome = *results[k];
      }
    }
  }
  for (size_t i = 0; i < group.size(); ++i) {
    group[i].done(outcomes[i] ? *std::move(outcomes[i]) : absl::StatusOr<uint64_t>(AcceptedSourceSeq(group[i].source)));
  }
}

std::vector<absl::StatusOr<uint64_t>> Hub::CommitSharedOnce(std::vector<WaitingPublish>& group) {
  const absl::Time started = absl::Now();
  absl::Status failure;
  for (int attempt = 0; attempt < kMaxSharedAttempts; ++attempt) {
    // On top of everything ordered so far; the events are copied, since
    // another hub committing first means staging them again.
    ApplyShared(store_->TakeShared());
    GroupWork work;
    StageGroup(group, /*copy_events=*/true, &work);
    const StoreCommit& commit = work.commit;
    if (!commit.projects.empty() || !commit.sources.empty()) {
      failure = store_->Commit(commit);
      if (absl::IsAborted(failure)) {  // another hub was first
        metrics_.commit_races_lost.Add(1);
        continue;
      }
      if (!failure.ok()) break;
    }
    // Our commit comes back in its place in the order, with whatever came
    // before it.
    ApplyShared(store_->TakeShared());
    // A snapshot when a project crossed a multiple of snapshot_every, by
    // the hub whose commit crossed it.
    std::vector<std::string> due;
    const uint64_t every = options_.project.snapshot_every;
    for (const StoreCommit::ProjectPart& part : commit.projects) {
      const uint64_t first = part.events.front()->seq(), last = part.events.back()->seq();
      if (every != 0 && (first - 1) / every != last / every) due.push_back(part.project);
    }
    SetStoreWritable(true);
    metrics_.events_accepted.Add(work.staged);
    metrics_.events_noop.Add(work.unstaged - work.staged);
    metrics_.events_duplicate.Add(work.duplicates);
    metrics_.commit_seconds.Observe(absl::Now() - started);
    if (!due.empty()) WriteSharedSnapshots(std::move(due));
    return std::move(work.outcomes);
  }
  if (failure.ok() || absl::IsAborted(failure)) {
    failure = absl::AbortedError(absl::StrCat("other hubs committed first ", kMaxSharedAttempts, " times"));
  }
  log::Error("commit of ", group.size(), " publishes failed: ", failure.message());
  if (!absl::IsAborted(failure)) SetStoreWritable(false);
  metrics_.commit_seconds.Observe(absl::Now() - started);
  return std::vector<absl::StatusOr<uint64_t>>(
      group.size(), absl::UnavailableError(absl::StrCat("the hub could not commit: ", failure.message())));
}

void Hub::ApplyShared(std::vector<SharedCommit> commits) {
  std::vector<std::string> wanted = ApplySharedCommits(std::move(commits));
  if (!wanted.empty()) WriteSharedSnapshots(std::move(wanted));
}

void Hub::WriteSharedSnapshots(std::vector<std::string> names) {
  // Each in its place in the order (the state as of the entry before it):
  // when another hub appends first, the snapshots are taken again on top.
  for (int attempt = 0; attempt < 5; ++attempt) {
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    StoreCommit snapshots;
    std::deque<v1::ProjectSnapshot> storage;
    for (const std::string& name : names) {
      std::shared_ptr<Project> project = FindProject(name);
      if (project == nullptr) continue;
      storage.push_back(project->Snapshot());
      StoreCommit::ProjectPart& part = snapshots.projects.emplace_back();
      part.project = name;
      part.epoch = storage.back().epoch();
      part.snapshot = &storage.back();
    }
    if (snapshots.projects.empty()) return;
    log::Debug("writing snapshots of ", snapshots.projects.size(), " projects, the first ", names.front());
    absl::Status status = store_->Commit(snapshots);
    if (absl::IsAborted(status)) {
      std::vector<std::string> more = ApplySharedCommits(store_->TakeShared());
      names.insert(names.end(), more.begin(), more.end());
      continue;
    }
    if (!status.ok()) {
      log::Warn("writing ", snapshots.projects.size(), " snapshots failed (a new hub replays more): ",
                status.message());
    }
    return;
  }
}

std::vector<std::string> Hub::ApplySharedCommits(std::vector<SharedCommit> commits) {
  std::vector<std::string> snapshot_wanted;
  for (SharedCommit& commit : commits) {
    snapshot_wanted.insert(snapshot_wanted.end(), commit.snapshot_wanted.begin(), commit.snapshot_wanted.end());
    if (!commit.new_epoch.empty()) {
      ResetAll(commit.new_epoch);
      snapshot_wanted.clear();
      continue;
    }
    if (commit.snapshot) {
      auto project = GetOrCreateProject(commit.snapshot->project(), /*bounded=*/false);
      if (project.ok()) (*project)->AdoptSnapshot(*commit.snapshot);
    }
    // Each project's events keep their order; another hub checked them.
    std::map<std::string, EventList> by_project;
    for (v1::Event& event : commit.events) by_project[event.project()].Add(std::move(event));
    for (auto& [name, events] : by_project) {
      auto project = GetOrCreateProject(name, /*bounded=*/false);
      if (!project.ok()) {
        log::Error("a shared commit holds ", events.size(), " events of a project this hub cannot hold: ",
                   project.status().message());
        continue;
      }
      (*project)->ApplyShared(std::move(events));
    }
    absl::flat_hash_map<std::string, uint64_t> accepted;
    for (const StoreCommit::SourcePart& source : commit.sources) {
      uint64_t& seq = accepted[source.source];
      seq = std::max(seq, source.accepted_source_seq);
    }
    if (!accepted.empty()) RememberSources(accepted);
  }
  return snapshot_wanted;
}

void Hub::ApplyRemoteCores(const absl::flat_hash_set<std::string>& remote) {
  std::vector<std::shared_ptr<Project>> projects;
  {
    absl::MutexLock lock(&projects_mu_);
    for (const auto& [name, project] : projects_) projects.push_back(project);
  }
  for (const auto& project : projects) project->SetRemoteCore(remote.contains(project->name()));
  // A core may attach before it publishes anything: its project exists here
  // too, so dashboards watching through this hub see it connected.
  for (const std::string& name : remote) {
    if (FindProject(name) != nullptr) continue;
    if (auto project = GetOrCreateProject(name, /*bounded=*/false); project.ok()) (*project)->SetRemoteCore(true);
  }
}

void Hub::ResetAll(const std::string& epoch) {
  std::vector<std::shared_ptr<Project>> projects;
  {
    absl::MutexLock lock(&projects_mu_);
    epoch_ = epoch;
    for (const auto& [name, project] : projects_) projects.push_back(project);
  }
  log::Warn("the shared history started over (epoch ", epoch, "): ", projects.size(),
            " projects are empty again and their watchers get a snapshot");
  {
    absl::MutexLock lock(&sources_mu_);
    sources_.clear();
  }
  for (const auto& project : projects) project->Reset(epoch);
}

}  // namespace nanokit::hub
