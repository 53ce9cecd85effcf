#pragma once
// Flags every publishing command shares, and the publisher they configure.

#include <memory>
#include <string>

#include "common/address.h"
#include "common/flags.h"
#include "common/token.h"
#include "core_client/hub_publisher.h"
#include "hub_client/hub_channel.h"

namespace nanokit::cli {

struct HubConnectionFlags {
  std::string hub = kDefaultHubAddress;
  HubTls tls;
  std::string token_file = kDefaultTokenFile;
  bool insecure_no_auth = false;
  std::string project = "demo";
  std::string source;

  void Register(FlagSet& flags);
  // Reads the token; on failure prints one line naming the file and exits 2.
  client::HubPublisherOptions PublisherOptionsOrExit(const char* program) const;
};

}  // namespace nanokit::cli
