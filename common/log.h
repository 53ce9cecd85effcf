#pragma once
// Logging to stderr, one line per call, as text
//   2026-11-26T02:45:45.123Z I [hub] stream=3 message
// or, with --log-format json, as one JSON object per line
//   {"time":"2026-11-26T02:45:45.123Z","level":"info","component":"hub","stream":3,"message":"stream=3 message"}
// Every line names its component, and, where there is one, the stream or
// connection id: messages start with it ("conn=7 ...", "publish stream=3
// ..."), and the JSON line carries it as a field too. Never pass a token,
// cookie or secret to these functions.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace nanokit {
class FlagSet;
}

namespace nanokit::log {

enum class Level { kDebug, kInfo, kWarning, kError };
enum class Format { kText, kJson };

void SetComponent(absl::string_view component);
void SetMinLevel(Level level);
void SetFormat(Format format);
void Write(Level level, absl::string_view message);

// The line Write would print (without the newline), for tests.
std::string FormatLine(Format format, absl::Time time, Level level, absl::string_view component,
                       absl::string_view message);

// --log-format text|json and --log-level debug|info|warning|error, the same
// on every server; Apply sets them (an error names the bad value).
struct Settings {
  std::string format = "text";
  std::string level = "info";
};
void RegisterFlags(FlagSet& flags, Settings* settings);
absl::Status Apply(const Settings& settings);

template <typename... Args>
void Info(const Args&... args) { Write(Level::kInfo, absl::StrCat(args...)); }
template <typename... Args>
void Warn(const Args&... args) { Write(Level::kWarning, absl::StrCat(args...)); }
template <typename... Args>
void Error(const Args&... args) { Write(Level::kError, absl::StrCat(args...)); }
template <typename... Args>
void Debug(const Args&... args) { Write(Level::kDebug, absl::StrCat(args...)); }

}  // namespace nanokit::log
