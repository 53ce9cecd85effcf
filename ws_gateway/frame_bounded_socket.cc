#include "ws_gateway/frame_bounded_socket.h"

#include <sys/socket.h>

#include <cerrno>

namespace nanokit::gateway {

uint64_t WebSocketFrameSize(const uint8_t* bytes, size_t available) {
  if (available < 2) return 0;
  const bool masked = (bytes[1] & 0x80) != 0;
  uint64_t length = bytes[1] & 0x7f;
  uint64_t header = 2;
  if (length == 126) {
    if (available < 4) return 0;
    length = (uint64_t{bytes[2]} << 8) | bytes[3];
    header = 4;
  } else if (length == 127) {
    if (available < 10) return 0;
    length = 0;
    for (int i = 0; i < 8; ++i) length = (length << 8) | bytes[2 + i];
    header = 10;
  }
  if (masked) header += 4;
  if (length > std::numeric_limits<uint64_t>::max() - header) return std::numeric_limits<uint64_t>::max();
  return header + length;
}

uint64_t FrameBoundedSocket::ReadLimit() {
  if (frame_left_ > 0) return frame_left_;
  // The header's bytes not read yet, after those that were.
  const ssize_t peeked = ::recv(socket_.native_handle(), header_ + header_read_, kMaxHeader - header_read_,
                                MSG_PEEK | MSG_DONTWAIT);
  if (peeked < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return 0;
  if (peeked <= 0) return kUnbounded;
  header_seen_ = static_cast<uint8_t>(header_read_ + peeked);
  const uint64_t size = WebSocketFrameSize(header_, header_seen_);
  if (size == 0) return static_cast<uint64_t>(peeked);  // the header so far; the rest is waited for
  frame_left_ = size - header_read_;
  header_read_ = 0;
  return frame_left_;
}

void FrameBoundedSocket::Took(uint64_t bytes) {
  if (frame_left_ > 0) {
    frame_left_ -= std::min<uint64_t>(frame_left_, bytes);
    return;
  }
  // Part of a header: what was peeked of it, so within header_seen_.
  header_read_ = static_cast<uint8_t>(std::min<uint64_t>(header_read_ + bytes, header_seen_));
}

void teardown(boost::beast::role_type role, FrameBoundedSocket& socket, boost::system::error_code& ec) {
  boost::beast::websocket::teardown(role, socket.next_layer(), ec);
}

}  // namespace nanokit::gateway
