#pragma once
// A connection's outbound queue of frames. A vector read from a moving head
// rather than a std::deque, which allocates a 512-byte block even when empty:
// that alone was a tenth of an idle connection's memory.

#include <cstddef>
#include <vector>

#include "ws_gateway/encoded_message.h"

namespace nanokit::gateway {

class FrameQueue {
 public:
  bool empty() const { return head_ == items_.size(); }
  size_t size() const { return items_.size() - head_; }
  const OutboundFramePtr& front() const { return items_[head_]; }
  void push_back(OutboundFramePtr frame) { items_.push_back(std::move(frame)); }
  OutboundFramePtr pop_front() {
    OutboundFramePtr frame = std::move(items_[head_++]);
    if (empty()) {
      clear();
    } else if (head_ >= 64 && head_ * 2 >= items_.size()) {
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
    return frame;
  }
  void clear() {
    items_.clear();
    head_ = 0;
    // A burst's capacity is not kept by a connection gone quiet.
    if (items_.capacity() > 64) items_.shrink_to_fit();
  }
  auto begin() const { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  auto end() const { return items_.end(); }

 private:
  std::vector<OutboundFramePtr> items_;
  size_t head_ = 0;
};

}  // namespace nanokit::gateway
