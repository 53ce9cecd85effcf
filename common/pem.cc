#include "common/pem.h"

#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace nanokit {

absl::Status CheckPemFile(absl::string_view flag, const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(flag, ": cannot read ", path));
  std::string first;
  std::getline(in, first);
  if (!absl::StartsWith(first, "-----BEGIN ")) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": ", path, " is not PEM (it must start with -----BEGIN)"));
  }
  return absl::OkStatus();
}

}  // namespace nanokit
