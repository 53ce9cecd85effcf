#include "hub/jetstream_store.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "nanokit/bridge/v1/store.pb.h"
#include "zstd.h"

namespace nanokit::hub {

namespace v1 = nanokit::bridge::v1;

namespace {

// Room for the message's headers (Msg-Id, expected sequence) and subject.
constexpr size_t kHeaderRoom = 16 * 1024;
// How long a hub may take to read the stream's history when it starts.
constexpr absl::Duration kRecoverTimeout = absl::Minutes(2);

// A hub not heard from for this long has no core connected (it died).
constexpr absl::Duration kCoresExpiry = absl::Milliseconds(3500);
// A project asked to be snapshot is not asked again sooner than this.
constexpr absl::Duration kAskAgain = absl::Seconds(10);

// StoreEntry's events field: the events are written straight from the
// commit, without copying them into a message first.
constexpr uint32_t kEventsTag = (1 << 3) | 2;

}  // namespace

namespace {

// Entries are compressed (zstd, at its fastest level): the events of a batch
// repeat their project, source and field names, and the stream's replicated
// bytes per second, not its messages, bound what it takes (BENCHMARKS.md).
constexpr int kZstdLevel = 1;
// An entry that says it is larger than this is not unpacked (a bad one).
constexpr uint64_t kMaxEntryBytes = 256 * 1024 * 1024;

bool IsCompressed(const std::string& data) {
  return data.size() >= 4 && static_cast<unsigned char>(data[0]) == 0x28 &&
         static_cast<unsigned char>(data[1]) == 0xb5 && static_cast<unsigned char>(data[2]) == 0x2f &&
         static_cast<unsigned char>(data[3]) == 0xfd;
}

}  // namespace

void JetStreamStore::ZstdDeleter::operator()(ZSTD_CCtx* context) const { ZSTD_freeCCtx(context); }
void JetStreamStore::ZstdDeleter::operator()(ZSTD_DCtx* context) const { ZSTD_freeDCtx(context); }

std::string JetStreamStore::Compress(const std::string& data) {
  if (!compressor_) compressor_.reset(ZSTD_createCCtx());
  std::string out(ZSTD_compressBound(data.size()), '\0');
  const size_t size = ZSTD_compressCCtx(compressor_.get(), out.data(), out.size(), data.data(), data.size(), kZstdLevel);
  if (ZSTD_isError(size)) return data;  // stored as it is: readers tell by the magic number
  out.resize(size);
  return out;
}

absl::StatusOr<std::string> JetStreamStore::Decompress(const std::string& data) {
  const unsigned long long size = ZSTD_getFrameContentSize(data.data(), data.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > kMaxEntryBytes) {
    return absl::DataLossError("not a zstd frame of a known size");
  }
  if (!decompressor_) decompressor_.reset(ZSTD_createDCtx());
  std::string out(static_cast<size_t>(size), '\0');
  const size_t got = ZSTD_decompressDCtx(decompressor_.get(), out.data(), out.size(), data.data(), data.size());
  if (ZSTD_isError(got) || got != size) return absl::DataLossError(ZSTD_getErrorName(got));
  return out;
}

std::string StreamEpoch(absl::Time created) {
  return absl::StrFormat("%016x", static_cast<uint64_t>(absl::ToUnixNanos(created)));
}

absl::StatusOr<std::unique_ptr<JetStreamStore>> JetStreamStore::Open(JetStreamStoreOptions options) {
  auto connection = jetstream::Connection::Connect(options.connection);
  if (!connection.ok()) return connection.status();
  // A cluster just started elects its meta leader first: until then no
  // stream can be made or found.
  absl::StatusOr<std::unique_ptr<jetstream::StreamLog>> log;
  for (const absl::Time deadline = absl::Now() + absl::Seconds(30);;) {
    log = jetstream::StreamLog::Open(connection->get(), options.stream);
    if (log.ok() || absl::IsInvalidArgument(log.status()) || absl::Now() >= deadline) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  if (!log.ok()) return log.status();
  return std::unique_ptr<JetStreamStore>(
      new JetStreamStore(std::move(options), *std::move(connection), *std::move(log)));
}

JetStreamStore::JetStreamStore(JetStreamStoreOptions options, std::unique_ptr<jetstream::Connection> connection,
                               std::unique_ptr<jetstream::StreamLog> log)
    : options_(std::move(options)),
      connection_(std::move(connection)),
      log_(std::move(log)),
      max_entry_bytes_(static_cast<size_t>(std::max<int64_t>(connection_->max_payload(), 2 * kHeaderRoom)) -
                       kHeaderRoom) {}

JetStreamStore::~JetStreamStore() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (watcher_.joinable()) watcher_.join();
  cores_.reset();
  tail_.reset();
}

void JetStreamStore::ShareCores(const std::vector<std::string>& projects) {
  if (cores_ == nullptr) return;
  std::string message = options_.writer;
  for (const std::string& project : projects) absl::StrAppend(&message, "\n", project);
  (void)cores_->Send(message);  // lost while NATS is away: the next one says it again
}

void JetStreamStore::OnCores(const std::string& message) {
  std::vector<std::string> lines = absl::StrSplit(message, '\n');
  if (lines.empty() || lines[0] == options_.writer) return;
  {
    absl::MutexLock lock(&mu_);
    RemoteCores& remote = remote_cores_[lines[0]];
    remote.projects = absl::flat_hash_set<std::string>(lines.begin() + 1, lines.end());
    remote.heard = absl::Now();
  }
  TellRemoteCores();
}

void JetStreamStore::ExpireRemoteCores() {
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = absl::Now();
    absl::erase_if(remote_cores_, [now](const auto& entry) { return now - entry.second.heard > kCoresExpiry; });
  }
  TellRemoteCores();
}

void JetStreamStore::TellRemoteCores() {
  // One teller at a time, with the latest union: never an older one last.
  absl::MutexLock tell(&tell_mu_);
  absl::flat_hash_set<std::string> now;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [writer, remote] : remote_cores_) now.insert(remote.projects.begin(), remote.projects.end());
  }
  if (now == told_) return;
  told_ = now;
  if (on_remote_cores_) on_remote_cores_(told_);
}

absl::Status JetStreamStore::StartTail(uint64_t from_seq) {
  auto tail = jetstream::StreamTail::Start(connection_.get(), options_.stream, from_seq,
                                           [this](uint64_t seq, std::string data) { OnEntry(seq, std::move(data)); });
  if (!tail.ok()) return tail.status();
  tail_ = *std::move(tail);
  absl::MutexLock lock(&mu_);
  tailing_ = true;
  return absl::OkStatus();
}

void JetStreamStore::OnEntry(uint64_t seq, std::string data) {
  {
    absl::MutexLock lock(&mu_);
    if (seq <= delivered_) return;  // delivered again after the consumer was made anew
    if (!paused_ && !fetched_.empty() && fetched_bytes_ + data.size() > options_.max_fetched_bytes) {
      // Blocking here would only move the backlog into the NATS client
      // (the server goes on sending); dropping it costs reading it again.
      paused_ = true;
      log::Debug("stream ", options_.stream.name, ": ", fetched_bytes_, " bytes of entries wait for the committer; ",
                 "pausing at entry ", seq);
    }
    if (paused_) return;
    delivered_ = seq;
    PushFetched(Fetched{seq, std::move(data), std::string()});
  }
  if (wake_) wake_();
}

void JetStreamStore::PushFetched(Fetched fetched) {
  fetched_bytes_ += fetched.data.size();
  fetched_.push_back(std::move(fetched));
}

size_t JetStreamStore::fetched_bytes() const {
  absl::MutexLock lock(&mu_);
  return fetched_bytes_;
}

bool JetStreamStore::AwaitFetched(uint64_t seq, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  const uint64_t restarts = restarts_;
  auto done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    // Paused with much fetched: the caller takes it first (the consumer
    // resumes only after that).
    const bool take_first = paused_ && fetched_bytes_ > options_.max_fetched_bytes / 2;
    return delivered_ >= seq || restarts_ != restarts || stopping_ || take_first;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&done), timeout) && delivered_ >= seq;
}

void JetStreamStore::PauseOrResumeTail() {
  bool stop = false, resume = false;
  {
    absl::MutexLock lock(&mu_);
    if (!paused_) return;
    resume = fetched_bytes_ <= options_.max_fetched_bytes / 2;
    stop = tailing_;
  }
  if (stop || resume) {
    tail_.reset();  // prompt: while paused, deliveries are dropped at once
    absl::MutexLock lock(&mu_);
    tailing_ = false;
  }
  if (!resume) return;
  uint64_t from = 0;
  {
    absl::MutexLock lock(&mu_);
    paused_ = false;
    from = delivered_ + 1;
  }
  // On failure the watcher tries again (no tail) every watch_interval.
  if (auto status = StartTail(from); !status.ok()) log::Warn("following the stream again: ", status.message());
}

absl::StatusOr<RecoveredState> JetStreamStore::Recover() {
  auto state = log_->State();
  if (!state.ok()) return state.status();
  {
    absl::MutexLock lock(&mu_);
    created_ = state->created;
    epoch_ = StreamEpoch(state->created);
    taken_epoch_ = epoch_;
  }
  UpdateKeeps(*state);
  if (auto status = StartTail(std::max<uint64_t>(state->first_seq, 1)); !status.ok()) return status;
  // Taken as it arrives, max_fetched_bytes at a time at most.
  RecoveredState recovered;
  recovered.epoch = taken_epoch_;
  const absl::Time deadline = absl::Now() + kRecoverTimeout;
  while (taken_ < state->last_seq) {
    bool fetched = false;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !fetched_.empty(); };
      fetched = mu_.AwaitWithDeadline(absl::Condition(&ready), deadline);
    }
    if (!fetched) {
      return absl::UnavailableError(absl::StrCat("could not read the ", state->last_seq - state->first_seq + 1,
                                                 " entries of stream ", options_.stream.name, " within ",
                                                 absl::FormatDuration(kRecoverTimeout), " (read up to ", taken_, ")"));
    }
    AddRecovered(TakeShared(), recovered);
    PauseOrResumeTail();
  }
  for (const auto& [name, project] : recovered.projects) {
    // The stream dropped entries at its limits that no snapshot covers.
    const uint64_t have = project.snapshot ? project.snapshot->seq() : 0;
    auto next = std::find_if(project.events.begin(), project.events.end(),
                             [have](const v1::Event& event) { return event.seq() > have; });
    if (next != project.events.end() && next->seq() != have + 1) {
      log::Warn("project ", name, ": stream ", options_.stream.name, " no longer holds its events ", have + 1,
                " to ", next->seq() - 1, " (its limits); its state starts at seq ", next->seq());
    }
  }
  log::Info("stream ", options_.stream.name, " (epoch ", recovered.epoch, "): ", recovered.projects.size(),
            " projects from entries ", state->first_seq, " to ", state->last_seq);
  auto cores = jetstream::Broadcast::Start(connection_.get(), absl::StrCat("nanokit.", options_.stream.name, ".cores"),
                                          [this](std::string message) { OnCores(message); });
  if (!cores.ok()) return cores.status();
  cores_ = *std::move(cores);
  watcher_ = std::thread([this] { RunWatcher(); });
  return recovered;
}

void JetStreamStore::AddRecovered(std::vector<SharedCommit> commits, RecoveredState& recovered) {
  for (SharedCommit& commit : commits) {
    if (!commit.new_epoch.empty()) {  // started over while we read it
      recovered = RecoveredState{};
      recovered.epoch = commit.new_epoch;
      continue;
    }
    if (commit.snapshot) {
      StoredProject& project = recovered.projects[commit.snapshot->project()];
      project.epoch = recovered.epoch;
      if (!project.snapshot || commit.snapshot->seq() > project.snapshot->seq()) {
        project.snapshot = *commit.snapshot;
        // What the snapshot covers is history only, and only the last
        // history_events of it are kept: memory stays bounded while the
        // whole stream is read.
        const uint64_t seq = project.snapshot->seq();
        const uint64_t keep_from = seq > options_.history_events ? seq - options_.history_events : 0;
        auto first_kept = std::find_if(project.events.begin(), project.events.end(),
                                       [keep_from](const v1::Event& event) { return event.seq() > keep_from; });
        project.events.erase(project.events.begin(), first_kept);
      }
    }
    for (v1::Event& event : commit.events) {
      StoredProject& project = recovered.projects[event.project()];
      project.epoch = recovered.epoch;
      project.events.push_back(std::move(event));
    }
    for (const StoreCommit::SourcePart& source : commit.sources) {
      uint64_t& seq = recovered.accepted_source_seq[source.source];
      seq = std::max(seq, source.accepted_source_seq);
    }
  }
}

std::vector<SharedCommit> JetStreamStore::TakeShared() {
  std::deque<Fetched> fetched;
  {
    absl::MutexLock lock(&mu_);
    fetched.swap(fetched_);
    fetched_bytes_ = 0;
  }
  std::vector<SharedCommit> commits;
  for (Fetched& item : fetched) {
    if (!item.new_epoch.empty()) {
      taken_ = 0;
      taken_epoch_ = item.new_epoch;
      partial_snapshots_.clear();
      needed_from_.clear();
      snapshot_asked_.clear();
      last_risk_check_ = 0;
      SharedCommit reset;
      reset.new_epoch = item.new_epoch;
      commits.push_back(std::move(reset));
      continue;
    }
    taken_ = item.seq;
    if (auto commit = Decode(item.seq, item.data)) {
      for (const v1::Event& event : commit->events) needed_from_.try_emplace(event.project(), item.seq);
      commits.push_back(*std::move(commit));
    }
  }
  position_ = taken_;  // everything known is taken, our own entries too
  if (auto wanted = SnapshotsWanted(); !wanted.empty()) {
    SharedCommit ask;
    ask.snapshot_wanted = std::move(wanted);
    commits.push_back(std::move(ask));
  }
  return commits;
}

std::optional<SharedCommit> JetStreamStore::Decode(uint64_t seq, const std::string& data) {
  v1::StoreEntry entry;
  absl::StatusOr<std::string> unpacked = IsCompressed(data) ? Decompress(data) : absl::StatusOr<std::string>(data);
  if (!unpacked.ok()) {
    log::Error("stream ", options_.stream.name, " entry ", seq, " does not unpack (", unpacked.status().message(),
               "): skipped");
    return std::nullopt;
  }
  if (!entry.ParseFromString(*unpacked)) {
    log::Error("stream ", options_.stream.name, " entry ", seq, " is not a StoreEntry (", data.size(),
               " bytes): skipped");
    return std::nullopt;
  }
  if (entry.epoch() != taken_epoch_) return std::nullopt;  // written for a history that is gone
  SharedCommit commit;
  commit.events.assign(std::make_move_iterator(entry.mutable_events()->begin()),
                       std::make_move_iterator(entry.mutable_events()->end()));
  for (const v1::SourceMark& mark : entry.sources()) {
    commit.sources.push_back(StoreCommit::SourcePart{mark.source(), mark.accepted_source_seq()});
  }
  if (entry.has_snapshot()) {
    const uint32_t parts = std::max<uint32_t>(entry.snapshot_parts(), 1);
    const std::string project = entry.snapshot().project();
    if (parts == 1) {
      commit.snapshot = std::move(*entry.mutable_snapshot());
      needed_from_[project] = seq;
    } else if (entry.snapshot_part() == 0) {
      partial_snapshots_[project] = std::move(*entry.mutable_snapshot());
      partial_started_[project] = seq;
    } else {
      auto it = partial_snapshots_.find(project);
      if (it != partial_snapshots_.end() && it->second.seq() == entry.snapshot().seq()) {
        for (v1::ResourceState& resource : *entry.mutable_snapshot()->mutable_resources()) {
          *it->second.add_resources() = std::move(resource);
        }
        if (entry.snapshot_part() + 1 == parts) {
          commit.snapshot = std::move(it->second);
          partial_snapshots_.erase(it);
          needed_from_[project] = partial_started_[project];
        }
      }
    }
  }
  if (commit.events.empty() && commit.sources.empty() && !commit.snapshot) return std::nullopt;
  return commit;
}

std::string JetStreamStore::NextMsgId() { return absl::StrCat(options_.writer, "-", ++msg_counter_); }

absl::StatusOr<jetstream::Appended> JetStreamStore::AppendRetrying(const std::string& data,
                                                                   std::optional<uint64_t> expected) {
  const std::string msg_id = NextMsgId();
  const absl::Time deadline = absl::Now() + options_.append_deadline;
  while (true) {
    auto appended = log_->Append(data, msg_id, expected);
    // The same id again: if the first attempt did land, this one is
    // answered with its seq (the id is checked before the expectation).
    if (appended.ok() || !absl::IsUnavailable(appended.status()) || absl::Now() >= deadline) return appended;
    absl::MutexLock lock(&mu_);
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Milliseconds(100))) return appended;
  }
}

absl::Status JetStreamStore::AppendOrdered(std::string data) {
  uint64_t restarts = 0;
  {
    absl::MutexLock lock(&mu_);
    restarts = restarts_;
    if (epoch_ != taken_epoch_) return absl::AbortedError("the stream started over; take it first");
  }
  const std::string packed = Compress(data);
  if (packed.size() > max_entry_bytes_) {
    return absl::ResourceExhaustedError(absl::StrCat("an entry of ", packed.size(), " bytes is larger than the ",
                                                     max_entry_bytes_, " a NATS message may hold"));
  }
  const uint64_t expected = position_;
  auto appended = AppendRetrying(packed, expected);
  if (absl::IsFailedPrecondition(appended.status())) {
    // Another hub was first: wait for its entry, which the hub takes before
    // it stages again.
    AwaitFetched(expected + 1, options_.catch_up_timeout);
    return absl::AbortedError("another hub committed first");
  }
  if (!appended.ok()) return appended.status();
  absl::MutexLock lock(&mu_);
  if (restarts_ != restarts) {
    return absl::UnavailableError("the stream started over during the commit; publish again");
  }
  // Our entry follows the last one we know of (the expectation held), so
  // it is the next to take: queued here rather than waited for from the
  // consumer, which then skips it.
  position_ = appended->seq;
  if (delivered_ < appended->seq) {
    delivered_ = appended->seq;
    PushFetched(Fetched{appended->seq, std::move(data), std::string()});
  }
  return absl::OkStatus();
}

absl::Status JetStreamStore::Commit(const StoreCommit& commit) {
  bool events_or_sources = !commit.sources.empty();
  for (const StoreCommit::ProjectPart& part : commit.projects) {
    if (!part.events.empty()) events_or_sources = true;
  }
  if (!events_or_sources) {
    // Snapshots only, each in its place in the order like a commit: the
    // state as of the entry before it, so a hub restores from it and the
    // entries after it.
    for (const StoreCommit::ProjectPart& part : commit.projects) {
      if (part.snapshot == nullptr) continue;
      if (absl::Status status = AppendSnapshot(*part.snapshot); !status.ok()) return status;
    }
    return absl::OkStatus();
  }
  v1::StoreEntry header;
  header.set_writer(options_.writer);
  header.set_epoch(taken_epoch_);
  for (const StoreCommit::SourcePart& source : commit.sources) {
    v1::SourceMark* mark = header.add_sources();
    mark->set_source(source.source);
    mark->set_accepted_source_seq(source.accepted_source_seq);
  }
  std::string data = header.SerializeAsString();
  {
    google::protobuf::io::StringOutputStream stream(&data);
    google::protobuf::io::CodedOutputStream coded(&stream);
    for (const StoreCommit::ProjectPart& part : commit.projects) {
      for (const v1::Event* event : part.events) {
        coded.WriteVarint32(kEventsTag);
        coded.WriteVarint32(static_cast<uint32_t>(event->ByteSizeLong()));
        event->SerializeWithCachedSizes(&coded);
      }
    }
  }
  return AppendOrdered(std::move(data));
}

absl::Status JetStreamStore::AppendSnapshot(const v1::ProjectSnapshot& snapshot) {
  v1::StoreEntry entry;
  entry.set_writer(options_.writer);
  entry.set_epoch(taken_epoch_);
  *entry.mutable_snapshot() = snapshot;
  if (entry.ByteSizeLong() <= max_entry_bytes_) return AppendOrdered(entry.SerializeAsString());
  // In parts, one right after the other: the first with everything but the
  // resources, then the resources, as many as fit in each.
  std::vector<std::vector<int>> parts(1);
  size_t bytes = 0;
  const size_t budget = max_entry_bytes_ - 1024;
  for (int i = 0; i < snapshot.resources_size(); ++i) {
    const size_t size = snapshot.resources(i).ByteSizeLong() + 8;
    if (size > budget) {
      return absl::ResourceExhaustedError(absl::StrCat("resource ", snapshot.resources(i).resource_id(), " of ",
                                                       snapshot.project(), " does not fit in a NATS message"));
    }
    if (bytes + size > budget) {
      parts.emplace_back();
      bytes = 0;
    }
    parts.back().push_back(i);
    bytes += size;
  }
  for (size_t p = 0; p < parts.size(); ++p) {
    v1::StoreEntry part;
    part.set_writer(options_.writer);
    part.set_epoch(taken_epoch_);
    part.set_snapshot_part(static_cast<uint32_t>(p));
    part.set_snapshot_parts(static_cast<uint32_t>(parts.size()));
    v1::ProjectSnapshot* piece = part.mutable_snapshot();
    if (p == 0) {
      *piece = snapshot;
      piece->clear_resources();
    } else {
      piece->set_project(snapshot.project());
      piece->set_epoch(snapshot.epoch());
      piece->set_seq(snapshot.seq());
    }
    for (int i : parts[p]) *piece->add_resources() = snapshot.resources(i);
    if (absl::Status status = AppendOrdered(part.SerializeAsString()); !status.ok()) return status;
  }
  return absl::OkStatus();
}

std::vector<std::string> JetStreamStore::SnapshotsWanted() {
  std::vector<std::string> wanted;
  uint64_t keeps = 0;
  {
    absl::MutexLock lock(&mu_);
    keeps = keeps_;
  }
  // Looked at every eighth of what the stream keeps, so nothing can fall
  // off the end between two looks.
  if (keeps == 0 || taken_ < last_risk_check_ + std::max<uint64_t>(keeps / 8, 1)) return wanted;
  last_risk_check_ = taken_;
  if (taken_ <= keeps / 2) return wanted;
  const uint64_t below = taken_ - keeps / 2;
  const absl::Time now = absl::Now();
  for (const auto& [project, seq] : needed_from_) {
    if (seq >= below) continue;
    // Not again for the same entry while the last ask may be on its way.
    auto [asked, inserted] = snapshot_asked_.try_emplace(project, Asked{seq, now});
    if (!inserted && asked->second.needed_from == seq && now - asked->second.at < kAskAgain) continue;
    asked->second = Asked{seq, now};
    wanted.push_back(project);
  }
  return wanted;
}

void JetStreamStore::RunWatcher() {
  absl::Time next_check = absl::Now() + options_.watch_interval;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      // Woken early for the consumer's pause: to stop it, then to resume.
      auto due = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || (paused_ && (tailing_ || fetched_bytes_ <= options_.max_fetched_bytes / 2));
      };
      mu_.AwaitWithDeadline(absl::Condition(&due), next_check);
      if (stopping_) return;
    }
    PauseOrResumeTail();
    if (absl::Now() < next_check) continue;
    next_check = absl::Now() + options_.watch_interval;
    ExpireRemoteCores();
    auto state = log_->State();
    if (absl::IsNotFound(state.status())) {
      log::Warn("stream ", options_.stream.name, " is gone; making it again (a new history)");
      if (auto made = jetstream::StreamLog::Open(connection_.get(), options_.stream); !made.ok()) {
        log::Warn("making stream ", options_.stream.name, " again failed: ", made.status().message());
      }
      continue;
    }
    if (!state.ok()) continue;  // NATS unreachable or electing: the appends say so
    absl::Time created;
    {
      absl::MutexLock lock(&mu_);
      created = created_;
    }
    if (state->created == created) UpdateKeeps(*state);
    if (state->created != created) {
      Restart(state->created);
    } else if (tail_ == nullptr) {
      uint64_t from = 0;
      {
        absl::MutexLock lock(&mu_);
        if (paused_) continue;  // started again once drained
        from = delivered_ + 1;
      }
      if (auto status = StartTail(from); !status.ok()) log::Warn("following the stream: ", status.message());
    }
  }
}

void JetStreamStore::UpdateKeeps(const jetstream::StreamState& state) {
  // How many entries the stream keeps at its limits, the bytes one as
  // entries of the average size so far.
  uint64_t keeps = 0;
  if (options_.stream.max_messages > 0) keeps = static_cast<uint64_t>(options_.stream.max_messages);
  if (options_.stream.max_bytes > 0 && state.messages > 0 && state.bytes > 0) {
    const uint64_t average = std::max<uint64_t>(state.bytes / state.messages, 1);
    const uint64_t by_bytes = std::max<uint64_t>(static_cast<uint64_t>(options_.stream.max_bytes) / average, 2);
    keeps = keeps == 0 ? by_bytes : std::min(keeps, by_bytes);
  }
  // Projects whose oldest needed entry is in the older half of that are
  // written in full again, by one hub: the one with the smallest name among
  // those alive (the others' names come with their cores, every second).
  absl::MutexLock lock(&mu_);
  for (const auto& [writer, remote] : remote_cores_) {
    if (writer < options_.writer) keeps = 0;
  }
  keeps_ = keeps;
}

void JetStreamStore::Restart(absl::Time created) {
  tail_.reset();  // no delivery from the old stream after this
  std::string epoch = StreamEpoch(created);
  log::Warn("stream ", options_.stream.name, " was made again: a new history, epoch ", epoch);
  {
    absl::MutexLock lock(&mu_);
    created_ = created;
    epoch_ = epoch;
    ++restarts_;
    delivered_ = 0;
    paused_ = false;
    tailing_ = false;
    fetched_.clear();
    fetched_bytes_ = 0;
    PushFetched(Fetched{0, std::string(), epoch});
  }
  if (auto status = StartTail(1); !status.ok()) log::Warn("following the new stream: ", status.message());
  if (wake_) wake_();
}

}  // namespace nanokit::hub
