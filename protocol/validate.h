#pragma once
// What a published event must hold before the hub accepts it. The name
// rules themselves live in protocol/names.h.

#include "absl/status/status.h"

namespace nanokit::bridge::v1 { class Event; }

namespace nanokit {

// Checks what a publisher must fill in: project, a payload, resource ids.
absl::Status ValidatePublishedEvent(const nanokit::bridge::v1::Event& event);

}  // namespace nanokit
