#include "common/program_path.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_split.h"

namespace nanokit {

namespace fs = std::filesystem;

namespace {

bool IsExecutable(const fs::path& path) { return ::access(path.c_str(), X_OK) == 0 && !fs::is_directory(path); }

}  // namespace

std::string ThisProgram() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : self.string();
}

std::string FindProgram(const std::string& name, const std::string& build_folder) {
  const std::string self = ThisProgram();
  if (!self.empty()) {
    const fs::path dir = fs::path(self).parent_path();
    for (const fs::path& candidate : {dir / name, dir.parent_path() / build_folder / name}) {
      if (IsExecutable(candidate)) return candidate.string();
    }
  }
  const char* path = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path ? path : "", ':', absl::SkipEmpty())) {
    const fs::path candidate = fs::path(std::string(dir)) / name;
    if (IsExecutable(candidate)) return candidate.string();
  }
  return {};
}

}  // namespace nanokit
