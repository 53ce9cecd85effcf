#pragma once
// The dashboard's files, read into memory once at startup and served by
// HttpSession at / . Reading them up front means a request can never name a
// path outside the directory, and a response is a lookup, not disk I/O.

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace nanokit::gateway {

struct StaticFile {
  std::string body;
  std::string content_type;
};

class StaticFiles {
 public:
  // Reads every regular file under `dir` (recursively; at most 1024 files of
  // at most 4 MiB each). An error names the file or directory.
  static absl::StatusOr<std::shared_ptr<const StaticFiles>> Load(const std::string& dir);

  // Where an installed or build-tree gateway finds the dashboard when no
  // --static-dir is given: <dir of the executable>/../share/nanokit/dashboard.
  // Empty when it does not exist.
  static std::string DefaultDir();

  // The file for a request path: "/" and "/index.html" are index.html.
  // Null when there is no such file.
  const StaticFile* Find(absl::string_view path) const;

  size_t size() const { return files_.size(); }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  absl::flat_hash_map<std::string, StaticFile> files_;  // key: "/app.js"
};

}  // namespace nanokit::gateway
