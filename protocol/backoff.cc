#include "protocol/backoff.h"

#include <algorithm>

namespace nanokit::protocol {

Backoff::Backoff(absl::Duration initial, absl::Duration max, uint64_t seed)
    : initial_(initial), max_(std::max(initial, max)), base_(initial), rng_(seed) {}

absl::Duration Backoff::Next() {
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  const absl::Duration delay = base_ * jitter(rng_);
  base_ = std::min(base_ * 2, max_);
  return delay;
}

}  // namespace nanokit::protocol
