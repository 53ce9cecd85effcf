#pragma once
// Latency samples and their percentiles.

#include <algorithm>
#include <cstdint>
#include <vector>

namespace nanokit::bench {

class Latencies {
 public:
  void Add(int64_t nanos) { samples_.push_back(nanos); }
  void Merge(const Latencies& other) { samples_.insert(samples_.end(), other.samples_.begin(), other.samples_.end()); }
  size_t size() const { return samples_.size(); }
  // q in [0, 1]; milliseconds; 0 without samples.
  double PercentileMs(double q) {
    if (samples_.empty()) return 0;
    auto nth = samples_.begin() + static_cast<std::ptrdiff_t>(q * static_cast<double>(samples_.size() - 1));
    std::nth_element(samples_.begin(), nth, samples_.end());
    return static_cast<double>(*nth) / 1e6;
  }

 private:
  std::vector<int64_t> samples_;
};

}  // namespace nanokit::bench
