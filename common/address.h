#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace nanokit {

struct HostPort {
  std::string host;
  uint16_t port = 0;
  std::string ToString() const;
};

// Where the hub and the gateway listen unless told otherwise, and where
// their clients look for them: loopback only (secure by default).
inline constexpr char kDefaultHubAddress[] = "127.0.0.1:7700";
inline constexpr char kDefaultGatewayAddress[] = "127.0.0.1:7701";

// "127.0.0.1:7700", "localhost:0", "[::1]:7700". Port 0 asks for a free port.
absl::StatusOr<HostPort> ParseHostPort(const std::string& text);

}  // namespace nanokit
