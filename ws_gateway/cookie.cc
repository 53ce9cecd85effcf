#include "ws_gateway/cookie.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace nanokit::gateway {

std::optional<absl::string_view> FindCookie(absl::string_view header, absl::string_view name) {
  constexpr size_t kMaxHeaderBytes = 8 * 1024;
  if (header.size() > kMaxHeaderBytes || name.empty()) return std::nullopt;
  for (absl::string_view pair : absl::StrSplit(header, ';')) {
    pair = absl::StripAsciiWhitespace(pair);
    const size_t equals = pair.find('=');
    if (equals == absl::string_view::npos) continue;
    if (absl::StripTrailingAsciiWhitespace(pair.substr(0, equals)) != name) continue;
    absl::string_view value = absl::StripLeadingAsciiWhitespace(pair.substr(equals + 1));
    // RFC 6265 allows the value in double quotes.
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    return value;
  }
  return std::nullopt;
}

std::string SetCookie(absl::string_view name, absl::string_view value, absl::Duration max_age) {
  return absl::StrCat(name, "=", value, "; Path=/; Max-Age=", absl::ToInt64Seconds(max_age),
                      "; HttpOnly; Secure; SameSite=Lax");
}

std::string ClearCookie(absl::string_view name) { return SetCookie(name, "", absl::ZeroDuration()); }

}  // namespace nanokit::gateway
