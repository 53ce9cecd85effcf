#pragma once
// The durable Store: one SQLite database in WAL mode under --data-dir.
//
//   projects(name, epoch, snapshot, snapshot_seq)  the state at snapshot_seq
//   events(project, seq, event)                    events after it, and the
//                                                  recent history for resume
//   sources(source, accepted, last_seen)           deduplication of retries
//
// A commit survives kill -9 of the hub (WAL, synchronous=NORMAL: durable
// against a process crash; a power loss may lose the last commits).

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "hub/store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace nanokit::hub {

class SqliteStore final : public Store {
 public:
  // Opens or creates DIR/hub.db, and locks DIR against a second hub. A file
  // that is not a nanokit hub database is an error, never reset.
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(const std::string& dir, size_t max_sources = 100000);
  ~SqliteStore() override;

  absl::StatusOr<RecoveredState> Recover() override;
  absl::Status Commit(const StoreCommit& commit) override;

 private:
  SqliteStore(sqlite3* db, int lock_fd, size_t max_sources);
  absl::Status Prepare();
  absl::Status Exec(const char* sql);
  absl::Status Error(const char* what) const;
  absl::StatusOr<StoredProject> LoadProjectRow(const std::string& name, const std::string& epoch,
                                               const void* snapshot, int snapshot_size);

  sqlite3* db_;
  int lock_fd_;
  size_t max_sources_;
  uint64_t commits_ = 0;
  sqlite3_stmt* insert_project_ = nullptr;
  sqlite3_stmt* insert_event_ = nullptr;
  sqlite3_stmt* upsert_source_ = nullptr;
  sqlite3_stmt* save_snapshot_ = nullptr;
  sqlite3_stmt* forget_events_ = nullptr;
  sqlite3_stmt* load_events_ = nullptr;
};

}  // namespace nanokit::hub
