#include "ws_gateway/static_files.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/program_path.h"

namespace nanokit::gateway {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxFiles = 1024;
constexpr uintmax_t kMaxFileBytes = 4 * 1024 * 1024;

std::string ContentType(const fs::path& path) {
  const std::string ext = path.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".ts") return "text/plain; charset=utf-8";  // .d.ts: shown, not run
  return "application/octet-stream";
}

}  // namespace

absl::StatusOr<std::shared_ptr<const StaticFiles>> StaticFiles::Load(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return absl::NotFoundError(absl::StrCat(dir, " is not a directory"));
  auto files = std::make_shared<StaticFiles>();
  files->dir_ = dir;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    if (files->files_.size() >= kMaxFiles) {
      return absl::ResourceExhaustedError(absl::StrCat(dir, " holds more than ", kMaxFiles, " files"));
    }
    const fs::path& path = it->path();
    if (it->file_size(ec) > kMaxFileBytes) {
      return absl::ResourceExhaustedError(absl::StrCat(path.string(), " is larger than 4 MiB"));
    }
    std::ifstream in(path, std::ios::binary);
    std::ostringstream body;
    body << in.rdbuf();
    if (!in) return absl::UnavailableError(absl::StrCat("cannot read ", path.string()));
    std::string key = "/" + fs::relative(path, dir).generic_string();
    files->files_.emplace(std::move(key), StaticFile{std::move(body).str(), ContentType(path)});
  }
  if (ec) return absl::UnavailableError(absl::StrCat("cannot list ", dir, ": ", ec.message()));
  return std::shared_ptr<const StaticFiles>(std::move(files));
}

std::string StaticFiles::DefaultDir() {
  const std::string exe = ThisProgram();
  if (exe.empty()) return {};
  const fs::path dir = fs::path(exe).parent_path().parent_path() / "share" / "nanokit" / "dashboard";
  std::error_code ec;
  return fs::is_directory(dir, ec) ? dir.string() : std::string();
}

const StaticFile* StaticFiles::Find(absl::string_view path) const {
  if (path == "/") path = "/index.html";
  auto it = files_.find(path);
  return it == files_.end() ? nullptr : &it->second;
}

}  // namespace nanokit::gateway
