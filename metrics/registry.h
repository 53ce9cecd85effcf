#pragma once
// The metrics one server exposes: each under its Prometheus name with its
// help, read when scraped (a prometheus::Collectable, which prometheus-cpp
// serializes in the text format). The metrics themselves belong to the
// components that count them (hub::HubMetrics, gateway::GatewayMetrics);
// the registry points at them and must not outlive them. Add everything
// before serving: the set is fixed once scrapes may run.

#include <functional>
#include <string>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "metrics/counter.h"

namespace nanokit::metrics {

class Registry : public prometheus::Collectable {
 public:
  void AddCounter(std::string name, std::string help, const Counter* counter);
  void AddCounter(std::string name, std::string help, std::string label, const LabeledCounter* counter);
  void AddGauge(std::string name, std::string help, const Gauge* gauge);
  // A level read from its owner when scraped (it must be cheap and
  // thread-safe), for what the owner knows already (a map's size).
  void AddGauge(std::string name, std::string help, std::function<double()> read);
  void AddHistogram(std::string name, std::string help, const DurationHistogram* histogram);

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::vector<std::function<prometheus::MetricFamily()>> families_;
};

// What prometheus-cpp would put on the wire for the registry (for tests and
// tools that want the text without a scrape).
std::string SerializeText(const Registry& registry);

}  // namespace nanokit::metrics
