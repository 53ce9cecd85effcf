#include "oidc/form.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"

namespace nanokit::oidc {

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

absl::StatusOr<std::string> Decode(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c != '%') {
      out.push_back(c);
    } else {
      if (i + 2 >= text.size()) return absl::InvalidArgumentError("a truncated % escape");
      const int high = HexValue(text[i + 1]);
      const int low = HexValue(text[i + 2]);
      if (high < 0 || low < 0) return absl::InvalidArgumentError("a malformed % escape");
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    }
  }
  return out;
}

}  // namespace

std::string PercentEncode(absl::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      const auto byte = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 15]);
    }
  }
  return out;
}

std::string EncodeForm(const FormFields& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out.push_back('&');
    out += PercentEncode(name);
    out.push_back('=');
    out += PercentEncode(value);
  }
  return out;
}

absl::StatusOr<absl::flat_hash_map<std::string, std::string>> ParseForm(absl::string_view text) {
  absl::flat_hash_map<std::string, std::string> fields;
  for (absl::string_view part : absl::StrSplit(text, '&', absl::SkipEmpty())) {
    const size_t equals = part.find('=');
    auto name = Decode(part.substr(0, equals));
    if (!name.ok()) return name.status();
    auto value = Decode(equals == absl::string_view::npos ? absl::string_view() : part.substr(equals + 1));
    if (!value.ok()) return value.status();
    fields.try_emplace(*std::move(name), *std::move(value));
  }
  return fields;
}

}  // namespace nanokit::oidc
