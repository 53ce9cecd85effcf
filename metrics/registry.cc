#include "metrics/registry.h"

#include <limits>

#include <prometheus/text_serializer.h>

namespace nanokit::metrics {

namespace {

prometheus::MetricFamily Family(const std::string& name, const std::string& help, prometheus::MetricType type) {
  prometheus::MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = type;
  return family;
}

}  // namespace

void Registry::AddCounter(std::string name, std::string help, const Counter* counter) {
  families_.push_back([name = std::move(name), help = std::move(help), counter] {
    prometheus::MetricFamily family = Family(name, help, prometheus::MetricType::Counter);
    family.metric.emplace_back().counter.value = static_cast<double>(counter->Value());
    return family;
  });
}

void Registry::AddCounter(std::string name, std::string help, std::string label, const LabeledCounter* counter) {
  families_.push_back([name = std::move(name), help = std::move(help), label = std::move(label), counter] {
    prometheus::MetricFamily family = Family(name, help, prometheus::MetricType::Counter);
    for (const auto& [value, count] : counter->Values()) {
      prometheus::ClientMetric& metric = family.metric.emplace_back();
      metric.label.push_back({label, value});
      metric.counter.value = static_cast<double>(count);
    }
    return family;
  });
}

void Registry::AddGauge(std::string name, std::string help, const Gauge* gauge) {
  AddGauge(std::move(name), std::move(help), [gauge] { return static_cast<double>(gauge->Value()); });
}

void Registry::AddGauge(std::string name, std::string help, std::function<double()> read) {
  families_.push_back([name = std::move(name), help = std::move(help), read = std::move(read)] {
    prometheus::MetricFamily family = Family(name, help, prometheus::MetricType::Gauge);
    family.metric.emplace_back().gauge.value = read();
    return family;
  });
}

void Registry::AddHistogram(std::string name, std::string help, const DurationHistogram* histogram) {
  families_.push_back([name = std::move(name), help = std::move(help), histogram] {
    prometheus::MetricFamily family = Family(name, help, prometheus::MetricType::Histogram);
    const DurationHistogram::Totals totals = histogram->Read();
    prometheus::ClientMetric::Histogram& out = family.metric.emplace_back().histogram;
    const std::vector<double>& bounds = histogram->upper_bounds();
    for (size_t i = 0; i < bounds.size(); ++i) out.bucket.push_back({totals.cumulative[i], bounds[i]});
    out.bucket.push_back({totals.cumulative.back(), std::numeric_limits<double>::infinity()});
    out.sample_count = totals.cumulative.back();
    out.sample_sum = totals.sum_seconds;
    return family;
  });
}

std::vector<prometheus::MetricFamily> Registry::Collect() const {
  std::vector<prometheus::MetricFamily> families;
  families.reserve(families_.size());
  for (const auto& collect : families_) families.push_back(collect());
  return families;
}

std::string SerializeText(const Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

}  // namespace nanokit::metrics
