#pragma once
// Exponential backoff with jitter for reconnecting streams (the core
// library's Publish stream, the gateway's Watch of each project). Each delay
// is drawn from [base/2, base); base starts at `initial` and doubles up to
// `max`. Reset() after a healthy stream, so a blip reconnects quickly while a
// hub that stays away is not hammered. The jitter spreads the reconnects of
// many clients after a hub restart. Not thread-safe.

#include <cstdint>
#include <random>

#include "absl/time/time.h"

namespace nanokit::protocol {

class Backoff {
 public:
  Backoff(absl::Duration initial, absl::Duration max, uint64_t seed = std::random_device{}());

  // The delay before the next attempt.
  absl::Duration Next();
  void Reset() { base_ = initial_; }

 private:
  absl::Duration initial_;
  absl::Duration max_;
  absl::Duration base_;
  std::mt19937_64 rng_;
};

}  // namespace nanokit::protocol
