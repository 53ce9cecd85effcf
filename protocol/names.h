#pragma once
// The names that travel through every component and end up in URLs, logs,
// database keys and file names: projects and resources. One rule, checked by
// the hub, the gateway, the core library and (clients/js/src/names.js) the
// JavaScript client; docs/protocol.md states it and tests/vectors/rules/
// names.json holds the cases every implementation checks.

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace nanokit::protocol {

inline constexpr size_t kMaxProjectNameLength = 128;
inline constexpr size_t kMaxResourceIdLength = 256;

// The rules in words, as error messages and the docs say them.
inline constexpr absl::string_view kProjectNameRule =
    "a project name is 1-128 characters of [A-Za-z0-9._-] and starts with a letter or digit";
inline constexpr absl::string_view kResourceIdRule =
    "a resource id is 1-256 printable ASCII characters without spaces";

// 1-128 characters of [A-Za-z0-9._-], the first a letter or digit (so a
// name is never "." or "..", nor read as a command-line flag).
bool IsValidProjectName(absl::string_view name);
// 1-256 printable ASCII characters without spaces.
bool IsValidResourceId(absl::string_view id);

// Untrusted text as an error message or a log line may show it, in quotes:
// at most max_bytes of it, everything but printable ASCII escaped (\n,
// \xff...), so the result is valid UTF-8 in any JSON or proto string and
// cannot forge a log line.
std::string Quoted(absl::string_view untrusted, size_t max_bytes = 64);

// InvalidArgument naming the (shortened) name and the rule; OK when valid.
absl::Status CheckProjectName(absl::string_view name);
absl::Status CheckResourceId(absl::string_view id);

}  // namespace nanokit::protocol
