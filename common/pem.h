#pragma once
// Certificates and keys are given as PEM files (--tls-*, --hub-*): checked
// when a program starts, so a wrong path is a clear error then rather than
// failed handshakes later.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace nanokit {

// An error naming the flag and the path when the file cannot be read or
// does not start as PEM. Never shows the content (it may be a key).
absl::Status CheckPemFile(absl::string_view flag, const std::string& path);

}  // namespace nanokit
