#include "metrics/metrics_server.h"

#include <cstdio>
#include <exception>

#include <prometheus/exposer.h>

#include "absl/strings/str_cat.h"
#include "common/flags.h"

namespace nanokit::metrics {

MetricsServer::MetricsServer(std::unique_ptr<prometheus::Exposer> exposer, std::shared_ptr<Registry> registry,
                             HostPort bound)
    : exposer_(std::move(exposer)), registry_(std::move(registry)), bound_(std::move(bound)) {}

MetricsServer::~MetricsServer() = default;

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(const HostPort& address,
                                                                    std::shared_ptr<Registry> registry) {
  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    // Two threads: scrapes are rare, and each is short.
    exposer = std::make_unique<prometheus::Exposer>(address.ToString(), 2);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", address.ToString(), ": ", e.what()));
  }
  const std::vector<int> ports = exposer->GetListeningPorts();
  if (ports.empty()) return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", address.ToString()));
  exposer->RegisterCollectable(registry);
  HostPort bound{address.host, static_cast<uint16_t>(ports.front())};
  return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(exposer), std::move(registry), std::move(bound)));
}

void RegisterMetricsFlag(FlagSet& flags, std::string* listen) {
  flags.String("metrics-listen", listen,
               "Serve Prometheus metrics at http://HOST:PORT/metrics (port 0 picks one). Empty: none.");
}

absl::StatusOr<std::unique_ptr<MetricsServer>> ServeMetricsIfAsked(const std::string& listen, const char* program,
                                                                   std::shared_ptr<Registry> registry) {
  if (listen.empty()) return std::unique_ptr<MetricsServer>();
  auto address = ParseHostPort(listen);
  if (!address.ok()) return absl::InvalidArgumentError(absl::StrCat("--metrics-listen: ", address.status().message()));
  auto server = MetricsServer::Start(*address, std::move(registry));
  if (!server.ok()) return absl::InvalidArgumentError(absl::StrCat("--metrics-listen: ", server.status().message()));
  std::printf("%s metrics on %s\n", program, (*server)->bound().ToString().c_str());
  std::fflush(stdout);
  return server;
}

}  // namespace nanokit::metrics
