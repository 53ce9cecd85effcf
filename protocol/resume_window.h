#pragma once
// The recent history of a project kept for resuming: the hub keeps events
// for gateways (hub/project.cc), the gateway keeps messages for dashboards
// (ws_gateway/project_fanout.cc). Bounded by count and by bytes, oldest
// evicted first; one rule for "resume or snapshot". Not thread-safe.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include "absl/strings/string_view.h"

namespace nanokit::protocol {

template <typename T>
class ResumeWindow {
 public:
  struct Entry {
    uint64_t seq;
    size_t bytes;
    T value;
  };
  using const_iterator = typename std::deque<Entry>::const_iterator;

  ResumeWindow(size_t max_entries, size_t max_bytes) : max_entries_(max_entries), max_bytes_(max_bytes) {}

  // seq is above every seq already held.
  void Append(uint64_t seq, size_t bytes, T value) {
    bytes_ += bytes;
    entries_.push_back({seq, bytes, std::move(value)});
    while (!entries_.empty() && (entries_.size() > max_entries_ || bytes_ > max_bytes_)) {
      bytes_ -= entries_.front().bytes;
      entries_.pop_front();
    }
  }
  void Clear() {
    entries_.clear();
    bytes_ = 0;
  }

  // Whether a reader that has applied (epoch, after_seq) can continue from
  // here to current_seq of current_epoch: the same history, not ahead of
  // it, and every seq after after_seq still held. Otherwise it needs a
  // snapshot. An empty epoch asks for a snapshot.
  bool CanResume(absl::string_view epoch, uint64_t after_seq, absl::string_view current_epoch,
                 uint64_t current_seq) const {
    if (epoch.empty() || epoch != current_epoch || after_seq > current_seq) return false;
    // The window holds [oldest, current_seq]; the reader needs after_seq + 1 on.
    const uint64_t oldest = entries_.empty() ? current_seq + 1 : entries_.front().seq;
    return after_seq + 1 >= oldest;
  }

  // The first entry after after_seq (end() when none).
  const_iterator After(uint64_t after_seq) const {
    return std::upper_bound(entries_.begin(), entries_.end(), after_seq,
                            [](uint64_t seq, const Entry& entry) { return seq < entry.seq; });
  }
  const_iterator end() const { return entries_.end(); }

  size_t size() const { return entries_.size(); }
  size_t bytes() const { return bytes_; }
  bool empty() const { return entries_.empty(); }

 private:
  const size_t max_entries_;
  const size_t max_bytes_;
  std::deque<Entry> entries_;
  size_t bytes_ = 0;
};

}  // namespace nanokit::protocol
