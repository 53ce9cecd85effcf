#pragma once
// Logging to stderr, one line per call:
//   2026-11-26T02:45:45.123Z I [hub] stream=3 message
// Every line names its component, and, where there is one, the stream or
// connection id in the message. Never pass a token to these functions.

#include "absl/strings/string_view.h"

#include "absl/strings/str_cat.h"

namespace nanokit::log {

enum class Level { kDebug, kInfo, kWarning, kError };

void SetComponent(absl::string_view component);
void SetMinLevel(Level level);
void Write(Level level, absl::string_view message);

template <typename... Args>
void Info(const Args&... args) { Write(Level::kInfo, absl::StrCat(args...)); }
template <typename... Args>
void Warn(const Args&... args) { Write(Level::kWarning, absl::StrCat(args...)); }
template <typename... Args>
void Error(const Args&... args) { Write(Level::kError, absl::StrCat(args...)); }
template <typename... Args>
void Debug(const Args&... args) { Write(Level::kDebug, absl::StrCat(args...)); }

}  // namespace nanokit::log
