#pragma once
// Counters, gauges and histograms cheap enough for the hot paths (a
// gateway shard's every write, the hub's every commit). A count is one
// relaxed atomic add on a cache line of the calling thread's own stripe:
// no lock, and no line bouncing between the shards' threads; a scrape sums
// the stripes. prometheus-cpp's own Histogram takes a mutex on every
// Observe and its Counter is one shared atomic double, so they are exposed
// through it (metrics/registry.h) but stored here.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace nanokit::metrics {

inline constexpr size_t kStripes = 8;
inline constexpr size_t kCacheLine = 64;

// The calling thread's stripe: threads take the stripes in turn as they
// first count.
size_t ThisThreadStripe();

class Counter {
 public:
  void Add(uint64_t n = 1) { stripes_[ThisThreadStripe()].value.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const;

 private:
  struct alignas(kCacheLine) Stripe {
    std::atomic<uint64_t> value{0};
  };
  std::array<Stripe, kStripes> stripes_;
};

// A level that goes up and down (connections, streams). One atomic: it
// changes per connection or stream, not per message.
class Gauge {
 public:
  void Add(int64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  void Sub(int64_t n = 1) { value_.fetch_sub(n, std::memory_order_relaxed); }
  void Set(int64_t value) { value_.store(value, std::memory_order_relaxed); }
  int64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Durations in fixed buckets, as Prometheus wants them: upper bounds in
// seconds (ascending), one more bucket for the rest (+Inf), and the sum.
class DurationHistogram {
 public:
  explicit DurationHistogram(std::vector<double> upper_bounds_seconds);

  void Observe(absl::Duration duration);

  struct Totals {
    std::vector<uint64_t> cumulative;  // per upper bound, then +Inf (= count)
    double sum_seconds = 0;
  };
  Totals Read() const;
  const std::vector<double>& upper_bounds() const { return upper_bounds_; }

 private:
  const std::vector<double> upper_bounds_;
  std::vector<int64_t> upper_bounds_ns_;
  // Per stripe, on its own cache lines: a count per bucket, then the sum in
  // nanoseconds.
  size_t stride_ = 0;
  std::unique_ptr<std::atomic<uint64_t>[]> cells_;
};

// Counts by one label (a reason, a close code) whose values the caller
// names from a small known set. Found under a lock, so it is for events
// that are not per message (a refused token, a closed connection). Past
// max_values distinct values the rest count as "other": a bound on the
// series a scrape carries whatever the input.
class LabeledCounter {
 public:
  explicit LabeledCounter(size_t max_values = 32) : max_values_(max_values) {}
  void Add(absl::string_view value, uint64_t n = 1);
  uint64_t Value(absl::string_view value) const;
  // Sorted by value.
  std::vector<std::pair<std::string, uint64_t>> Values() const;

 private:
  const size_t max_values_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, uint64_t> counts_ ABSL_GUARDED_BY(mu_);
};

}  // namespace nanokit::metrics
