#include "protocol/names.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace nanokit::protocol {

bool IsValidProjectName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxProjectNameLength || !absl::ascii_isalnum(name[0])) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

bool IsValidResourceId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxResourceIdLength) return false;
  for (char c : id) {
    if (!absl::ascii_isgraph(c)) return false;
  }
  return true;
}

std::string Quoted(absl::string_view untrusted, size_t max_bytes) {
  std::string out = absl::StrCat("\"", absl::CHexEscape(untrusted.substr(0, max_bytes)), "\"");
  if (untrusted.size() > max_bytes) out += "...";
  return out;
}

absl::Status CheckProjectName(absl::string_view name) {
  if (IsValidProjectName(name)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("invalid project name ", Quoted(name), ": ", kProjectNameRule));
}

absl::Status CheckResourceId(absl::string_view id) {
  if (IsValidResourceId(id)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("invalid resource id ", Quoted(id), ": ", kResourceIdRule));
}

}  // namespace nanokit::protocol
