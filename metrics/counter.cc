#include "metrics/counter.h"

#include <algorithm>

namespace nanokit::metrics {

size_t ThisThreadStripe() {
  static std::atomic<size_t> next{0};
  thread_local const size_t stripe = next.fetch_add(1, std::memory_order_relaxed) % kStripes;
  return stripe;
}

uint64_t Counter::Value() const {
  uint64_t sum = 0;
  for (const Stripe& stripe : stripes_) sum += stripe.value.load(std::memory_order_relaxed);
  return sum;
}

DurationHistogram::DurationHistogram(std::vector<double> upper_bounds_seconds)
    : upper_bounds_(std::move(upper_bounds_seconds)) {
  for (double bound : upper_bounds_) {
    upper_bounds_ns_.push_back(absl::ToInt64Nanoseconds(absl::Seconds(bound)));
  }
  constexpr size_t kPerLine = kCacheLine / sizeof(std::atomic<uint64_t>);
  const size_t cells = upper_bounds_.size() + 2;  // buckets, +Inf, sum
  stride_ = (cells + kPerLine - 1) / kPerLine * kPerLine;
  cells_ = std::make_unique<std::atomic<uint64_t>[]>(stride_ * kStripes);
}

void DurationHistogram::Observe(absl::Duration duration) {
  const int64_t ns = std::max<int64_t>(0, absl::ToInt64Nanoseconds(duration));
  const size_t bucket = static_cast<size_t>(
      std::lower_bound(upper_bounds_ns_.begin(), upper_bounds_ns_.end(), ns) - upper_bounds_ns_.begin());
  std::atomic<uint64_t>* stripe = &cells_[ThisThreadStripe() * stride_];
  stripe[bucket].fetch_add(1, std::memory_order_relaxed);
  stripe[upper_bounds_.size() + 1].fetch_add(static_cast<uint64_t>(ns), std::memory_order_relaxed);
}

DurationHistogram::Totals DurationHistogram::Read() const {
  Totals totals;
  totals.cumulative.assign(upper_bounds_.size() + 1, 0);
  uint64_t sum_ns = 0;
  for (size_t s = 0; s < kStripes; ++s) {
    const std::atomic<uint64_t>* stripe = &cells_[s * stride_];
    for (size_t b = 0; b <= upper_bounds_.size(); ++b) totals.cumulative[b] += stripe[b].load(std::memory_order_relaxed);
    sum_ns += stripe[upper_bounds_.size() + 1].load(std::memory_order_relaxed);
  }
  for (size_t b = 1; b < totals.cumulative.size(); ++b) totals.cumulative[b] += totals.cumulative[b - 1];
  totals.sum_seconds = static_cast<double>(sum_ns) / 1e9;
  return totals;
}

void LabeledCounter::Add(absl::string_view value, uint64_t n) {
  absl::MutexLock lock(&mu_);
  auto it = counts_.find(value);
  if (it == counts_.end()) {
    if (counts_.size() >= max_values_) value = "other";
    it = counts_.try_emplace(value, 0).first;
  }
  it->second += n;
}

uint64_t LabeledCounter::Value(absl::string_view value) const {
  absl::MutexLock lock(&mu_);
  auto it = counts_.find(value);
  return it == counts_.end() ? 0 : it->second;
}

std::vector<std::pair<std::string, uint64_t>> LabeledCounter::Values() const {
  std::vector<std::pair<std::string, uint64_t>> values;
  {
    absl::MutexLock lock(&mu_);
    values.assign(counts_.begin(), counts_.end());
  }
  std::sort(values.begin(), values.end());
  return values;
}

}  // namespace nanokit::metrics
