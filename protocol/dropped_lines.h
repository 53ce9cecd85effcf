#pragma once
// Log lines left out of a stream (a slow dashboard's backlog, a publisher's
// buffer during an outage) are counted per resource and reported in that
// resource's next log_stream, in dropped_lines, so a reader always learns
// how many lines it missed. Used by core_client/publish_buffer.cc and
// ws_gateway/outbound_queue.cc. Not thread-safe.

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/container/flat_hash_map.h"

namespace nanokit::protocol {

class DroppedLines {
 public:
  // A log_stream message of the resource `key` (protocol::ResourceKey) was
  // dropped: its own lines are lost, and so are the lines it was telling of
  // (its dropped_lines), which now wait for the next message.
  void AddDroppedMessage(absl::string_view key, uint64_t lines, uint64_t dropped_lines) {
    Add(key, lines + dropped_lines);
  }
  void Add(absl::string_view key, uint64_t lines) {
    if (lines > 0) counts_[key] += lines;
  }
  // The count waiting for this resource, which is then reported (0 if none).
  uint64_t Take(absl::string_view key) {
    auto it = counts_.find(key);
    if (it == counts_.end()) return 0;
    const uint64_t lines = it->second;
    counts_.erase(it);
    return lines;
  }
  // Adds other's counts to these, and empties other.
  void Merge(DroppedLines&& other) {
    for (auto& [key, lines] : other.counts_) counts_[key] += lines;
    other.counts_.clear();
  }
  bool empty() const { return counts_.empty(); }
  void Clear() { counts_.clear(); }

 private:
  absl::flat_hash_map<std::string, uint64_t> counts_;
};

}  // namespace nanokit::protocol
