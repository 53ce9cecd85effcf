#pragma once
// Flags every publishing command shares, and the publisher they configure.

#include <memory>
#include <string>

#include "common/flags.h"
#include "core_client/hub_publisher.h"

namespace nanokit::cli {

struct HubConnectionFlags {
  std::string hub = "127.0.0.1:7700";
  std::string token_file = ".nanokit/token";
  bool insecure_no_auth = false;
  std::string project = "demo";
  std::string source;

  void Register(FlagSet& flags);
  // Reads the token; on failure prints one line naming the file and exits 2.
  client::HubPublisherOptions PublisherOptionsOrExit(const char* program) const;
};

}  // namespace nanokit::cli
