#include "hub/sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace nanokit::hub {

namespace v1 = nanokit::bridge::v1;

namespace {

// 'NKB1': marks a database as ours, so that a stray file is never mistaken
// for (or overwritten as) a hub's store.
constexpr int kApplicationId = 0x4E4B4231;
constexpr int kSchemaVersion = 1;

// Frees a statement's bindings and state when it goes out of scope.
class StatementReset {
 public:
  explicit StatementReset(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~StatementReset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

 private:
  sqlite3_stmt* stmt_;
};

void BindText(sqlite3_stmt* stmt, int index, const std::string& text) {
  sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

void BindBlob(sqlite3_stmt* stmt, int index, const std::string& bytes) {
  sqlite3_bind_blob(stmt, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& dir, size_t max_sources) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("cannot create data dir ", dir, ": ", ec.message()));
  const std::string lock_path = dir + "/LOCK";
  int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0) {
    return absl::InvalidArgumentError(absl::StrCat("cannot open ", lock_path, ": ", std::strerror(errno)));
  }
  if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock_fd);
    return absl::FailedPreconditionError(absl::StrCat("another hub is using the data dir ", dir));
  }
  const std::string path = dir + "/hub.db";
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    ::close(lock_fd);
    return absl::InvalidArgumentError(absl::StrCat("cannot open ", path, ": ", message));
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(db, lock_fd, max_sources));
  if (auto status = store->Prepare(); !status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is not a usable nanokit hub database: ", status.message()));
  }
  return store;
}

SqliteStore::SqliteStore(sqlite3* db, int lock_fd, size_t max_sources)
    : db_(db), lock_fd_(lock_fd), max_sources_(max_sources) {}

SqliteStore::~SqliteStore() {
  for (sqlite3_stmt* stmt :
       {insert_project_, insert_event_, upsert_source_, save_snapshot_, forget_events_, load_events_}) {
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db_);
  ::close(lock_fd_);
}

absl::Status SqliteStore::Error(const char* what) const {
  return absl::InternalError(absl::StrCat(what, ": ", sqlite3_errmsg(db_)));
}

absl::Status SqliteStore::Exec(const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error ? error : sqlite3_errmsg(db_);
    sqlite3_free(error);
    return absl::InternalError(message);
  }
  return absl::OkStatus();
}

absl::Status SqliteStore::Prepare() {
  sqlite3_busy_timeout(db_, 5000);
  // Reading the header fails here for a file that is not a database.
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, "PRAGMA application_id", -1, &stmt, nullptr) != SQLITE_OK) return Error("read header");
  int app_id = 0;
  int rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) app_id = sqlite3_column_int(stmt, 0);
  sqlite3_finalize(stmt);
  if (rc != SQLITE_ROW) return Error("read header");
  if (sqlite3_prepare_v2(db_, "SELECT count(*) FROM sqlite_master", -1, &stmt, nullptr) != SQLITE_OK) {
    return Error("read schema");
  }
  int tables = 0;
  rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) tables = sqlite3_column_int(stmt, 0);
  sqlite3_finalize(stmt);
  if (rc != SQLITE_ROW) return Error("read schema");
  if (tables > 0 && app_id != kApplicationId) {
    return absl::InvalidArgumentError("it belongs to another application");
  }
  if (auto s = Exec("PRAGMA journal_mode=WAL"); !s.ok()) return s;
  if (auto s = Exec("PRAGMA synchronous=NORMAL"); !s.ok()) return s;
  if (auto s = Exec(absl::StrCat("PRAGMA application_id=", kApplicationId).c_str()); !s.ok()) return s;
  if (auto s = Exec(absl::StrCat("PRAGMA user_version=", kSchemaVersion).c_str()); !s.ok()) return s;
  if (auto s = Exec("CREATE TABLE IF NOT EXISTS projects(name TEXT PRIMARY KEY, epoch TEXT NOT NULL,"
                    " snapshot BLOB, snapshot_seq INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
                    "CREATE TABLE IF NOT EXISTS events(project TEXT NOT NULL, seq INTEGER NOT NULL,"
                    " event BLOB NOT NULL, PRIMARY KEY(project, seq)) WITHOUT ROWID;"
                    "CREATE TABLE IF NOT EXISTS sources(source TEXT PRIMARY KEY, accepted INTEGER NOT NULL,"
                    " last_seen INTEGER NOT NULL) WITHOUT ROWID;");
      !s.ok()) {
    return s;
  }
  struct {
    sqlite3_stmt** stmt;
    const char* sql;
  } statements[] = {
      {&insert_project_, "INSERT INTO projects(name, epoch) VALUES(?1, ?2) ON CONFLICT(name) DO NOTHING"},
      {&insert_event_, "INSERT OR REPLACE INTO events(project, seq, event) VALUES(?1, ?2, ?3)"},
      {&upsert_source_,
       "INSERT INTO sources(source, accepted, last_seen) VALUES(?1, ?2, ?3) ON CONFLICT(source) DO UPDATE SET "
       "accepted = max(accepted, excluded.accepted), last_seen = excluded.last_seen"},
      {&save_snapshot_, "UPDATE projects SET snapshot = ?2, snapshot_seq = ?3 WHERE name = ?1"},
      {&forget_events_, "DELETE FROM events WHERE project = ?1 AND seq <= ?2"},
      {&load_events_, "SELECT event FROM events WHERE project = ?1 ORDER BY seq"},
  };
  for (auto& s : statements) {
    if (sqlite3_prepare_v3(db_, s.sql, -1, SQLITE_PREPARE_PERSISTENT, s.stmt, nullptr) != SQLITE_OK) {
      return Error("prepare");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<StoredProject> SqliteStore::LoadProjectRow(const std::string& name, const std::string& epoch,
                                                          const void* snapshot, int snapshot_size) {
  StoredProject project;
  project.epoch = epoch;
  if (snapshot != nullptr && snapshot_size > 0) {
    v1::ProjectSnapshot parsed;
    if (!parsed.ParseFromArray(snapshot, snapshot_size)) {
      return absl::DataLossError(absl::StrCat("the snapshot of project ", name, " is corrupt"));
    }
    project.snapshot = std::move(parsed);
  }
  StatementReset reset(load_events_);
  BindText(load_events_, 1, name);
  int rc;
  while ((rc = sqlite3_step(load_events_)) == SQLITE_ROW) {
    v1::Event event;
    if (!event.ParseFromArray(sqlite3_column_blob(load_events_, 0), sqlite3_column_bytes(load_events_, 0))) {
      return absl::DataLossError(absl::StrCat("an event of project ", name, " is corrupt"));
    }
    project.events.push_back(std::move(event));
  }
  if (rc != SQLITE_DONE) return Error("read events");
  return project;
}

absl::StatusOr<RecoveredState> SqliteStore::Recover() {
  RecoveredState state;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT name, epoch, snapshot FROM projects", -1, &stmt, nullptr) != SQLITE_OK) {
    return Error("read projects");
  }
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    std::string name(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
    std::string epoch(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1)));
    auto project = LoadProjectRow(name, epoch, sqlite3_column_blob(stmt, 2), sqlite3_column_bytes(stmt, 2));
    if (!project.ok()) {
      sqlite3_finalize(stmt);
      return project.status();
    }
    state.projects.emplace(name, *std::move(project));
  }
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE) return Error("read projects");

  if (sqlite3_prepare_v2(db_, "SELECT source, accepted FROM sources", -1, &stmt, nullptr) != SQLITE_OK) {
    return Error("read sources");
  }
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    state.accepted_source_seq[reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))] =
        static_cast<uint64_t>(sqlite3_column_int64(stmt, 1));
  }
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE) return Error("read sources");
  return state;
}

absl::Status SqliteStore::Commit(const StoreCommit& commit) {
  if (auto s = Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  auto fail = [this](const char* what) {
    absl::Status status = Error(what);
    (void)Exec("ROLLBACK");
    return status;
  };
  std::string bytes;
  for (const StoreCommit::ProjectPart& part : commit.projects) {
    {
      StatementReset reset(insert_project_);
      BindText(insert_project_, 1, part.project);
      BindText(insert_project_, 2, part.epoch);
      if (sqlite3_step(insert_project_) != SQLITE_DONE) return fail("write project");
    }
    for (const v1::Event* event : part.events) {
      StatementReset reset(insert_event_);
      BindText(insert_event_, 1, part.project);
      sqlite3_bind_int64(insert_event_, 2, static_cast<sqlite3_int64>(event->seq()));
      bytes.clear();
      event->SerializeToString(&bytes);
      BindBlob(insert_event_, 3, bytes);
      if (sqlite3_step(insert_event_) != SQLITE_DONE) return fail("write event");
    }
    if (part.snapshot != nullptr) {
      StatementReset reset(save_snapshot_);
      BindText(save_snapshot_, 1, part.project);
      bytes.clear();
      part.snapshot->SerializeToString(&bytes);
      BindBlob(save_snapshot_, 2, bytes);
      sqlite3_bind_int64(save_snapshot_, 3, static_cast<sqlite3_int64>(part.snapshot->seq()));
      if (sqlite3_step(save_snapshot_) != SQLITE_DONE) return fail("write snapshot");
    }
    if (part.forget_upto > 0) {
      StatementReset reset(forget_events_);
      BindText(forget_events_, 1, part.project);
      sqlite3_bind_int64(forget_events_, 2, static_cast<sqlite3_int64>(part.forget_upto));
      if (sqlite3_step(forget_events_) != SQLITE_DONE) return fail("forget events");
    }
  }
  for (const StoreCommit::SourcePart& source : commit.sources) {
    StatementReset reset(upsert_source_);
    BindText(upsert_source_, 1, source.source);
    sqlite3_bind_int64(upsert_source_, 2, static_cast<sqlite3_int64>(source.accepted_source_seq));
    sqlite3_bind_int64(upsert_source_, 3, absl::ToUnixSeconds(absl::Now()));
    if (sqlite3_step(upsert_source_) != SQLITE_DONE) return fail("write source");
  }
  // Now and then, forget the sources not seen for longest beyond the bound.
  if (++commits_ % 1000 == 0) {
    const std::string sql = absl::StrCat(
        "DELETE FROM sources WHERE source NOT IN (SELECT source FROM sources ORDER BY last_seen DESC LIMIT ",
        max_sources_, ")");
    if (auto s = Exec(sql.c_str()); !s.ok()) {
      (void)Exec("ROLLBACK");
      return s;
    }
  }
  if (auto s = Exec("COMMIT"); !s.ok()) {
    (void)Exec("ROLLBACK");
    return s;
  }
  return absl::OkStatus();
}

}  // namespace nanokit::hub
