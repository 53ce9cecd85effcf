#pragma once
// Names that travel through every component and end up in URLs, logs and
// database keys are restricted to a safe alphabet and length.

#include "absl/strings/string_view.h"

#include "absl/status/status.h"

namespace nanokit::bridge::v1 { class Event; }

namespace nanokit {

// 1-128 characters of [A-Za-z0-9._-], starting with a letter or digit.
bool IsValidProjectName(absl::string_view name);
// 1-256 printable ASCII characters without spaces.
bool IsValidResourceId(absl::string_view id);

// Checks what a publisher must fill in: project, a payload, resource ids.
absl::Status ValidatePublishedEvent(const nanokit::bridge::v1::Event& event);

}  // namespace nanokit
