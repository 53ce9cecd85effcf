#pragma once
// Serves GET /metrics in the Prometheus text format from a registry, on
// threads of its own (prometheus-cpp's Exposer, on CivetWeb): a scrape
// never runs on a server's connection threads. Plain HTTP, so it listens
// where it is told (loopback by default, as the flags say); put it behind
// the network's own scrape path.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/address.h"
#include "metrics/registry.h"

namespace prometheus {
class Exposer;
}
namespace nanokit {
class FlagSet;
}

namespace nanokit::metrics {

class MetricsServer {
 public:
  // Binds address (port 0 picks one) and serves registry, which must
  // outlive the server.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(const HostPort& address,
                                                              std::shared_ptr<Registry> registry);
  ~MetricsServer();

  const HostPort& bound() const { return bound_; }

 private:
  MetricsServer(std::unique_ptr<prometheus::Exposer> exposer, std::shared_ptr<Registry> registry, HostPort bound);

  std::unique_ptr<prometheus::Exposer> exposer_;
  std::shared_ptr<Registry> registry_;
  HostPort bound_;
};

// The servers' --metrics-listen HOST:PORT (empty: no metrics server).
void RegisterMetricsFlag(FlagSet& flags, std::string* listen);

// For a server's main: with listen set, serves registry there and prints
// "<program> metrics on HOST:PORT" as a line of stdout (after the
// "listening on" line, so tools can read both). Null when listen is empty.
absl::StatusOr<std::unique_ptr<MetricsServer>> ServeMetricsIfAsked(const std::string& listen, const char* program,
                                                                   std::shared_ptr<Registry> registry);

}  // namespace nanokit::metrics
