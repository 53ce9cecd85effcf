#pragma once
// A plain TCP socket under a WebSocket, read one frame at a time: a read
// at a frame's start first peeks at the frame's header (2 to 14 bytes) and
// then takes no more than that frame from the socket. So whenever Beast has
// read a message whole, nothing of the next one waits in Beast's own
// buffer, and an idle connection can wait for its socket to become readable
// with no WebSocket read pending (a pending read holds Beast's chain of
// operations: hundreds of bytes on each of tens of thousands of
// connections). Frames are not decoded here — Beast still reads and checks
// every one; this only finds where each ends. A header that has only begun
// to arrive is read as far as it goes (and kept here, 14 bytes at most), so
// that the wait is for bytes not yet read: waiting with unread bytes in the
// socket would wake at once, again and again. Writes go to the socket as
// they are. It counts frames from its first byte on: the HTTP upgrade must
// have been read before (as HttpSession does), not through it.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>

#include <boost/asio/compose.hpp>
#include <boost/beast/core/buffers_prefix.hpp>
#include <boost/beast/websocket/teardown.hpp>

#include "ws_gateway/stream.h"

namespace nanokit::gateway {

// The size of the WebSocket frame (RFC 6455 section 5.2) whose first
// `available` bytes are at `bytes`, header included; 0 while they are too
// few to tell. A length past what fits is capped (Beast refuses the frame).
uint64_t WebSocketFrameSize(const uint8_t* bytes, size_t available);

class FrameBoundedSocket {
 public:
  using executor_type = ShardExecutor;
  using next_layer_type = Socket;

  explicit FrameBoundedSocket(Socket&& socket) : socket_(std::move(socket)) {}

  executor_type get_executor() noexcept { return socket_.get_executor(); }
  Socket& next_layer() noexcept { return socket_; }
  const Socket& next_layer() const noexcept { return socket_; }

  template <class MutableBuffers, class ReadHandler>
  auto async_read_some(const MutableBuffers& buffers, ReadHandler&& handler) {
    return boost::asio::async_compose<ReadHandler, void(boost::system::error_code, std::size_t)>(
        ReadOp<MutableBuffers>{*this, buffers}, handler, socket_);
  }

  template <class ConstBuffers, class WriteHandler>
  auto async_write_some(const ConstBuffers& buffers, WriteHandler&& handler) {
    return socket_.async_write_some(buffers, std::forward<WriteHandler>(handler));
  }

 private:
  static constexpr uint64_t kUnbounded = std::numeric_limits<uint64_t>::max();
  static constexpr size_t kMaxHeader = 14;

  // How many bytes the next read may take: the rest of the frame begun, or
  // of the next one once its header is all there, or what has arrived of
  // that header while it is not; 0 when nothing new has arrived (wait for
  // more); kUnbounded when the peek failed or saw the end of the stream
  // (the read then reports it).
  uint64_t ReadLimit();
  // A read of `bytes` ended.
  void Took(uint64_t bytes);

  template <class MutableBuffers>
  struct ReadOp {
    FrameBoundedSocket& self;
    MutableBuffers buffers;
    bool reading = false;

    template <class Self>
    void operator()(Self& op, boost::system::error_code ec = {}, std::size_t bytes = 0) {
      if (reading) {
        self.Took(bytes);
        return op.complete(ec, bytes);
      }
      if (ec) return op.complete(ec, 0);  // the wait for more failed
      const uint64_t limit = self.ReadLimit();
      if (limit == 0) return self.socket_.async_wait(Socket::wait_read, std::move(op));
      reading = true;
      const size_t prefix = static_cast<size_t>(std::min<uint64_t>(limit, std::numeric_limits<size_t>::max()));
      self.socket_.async_read_some(boost::beast::buffers_prefix(prefix, buffers), std::move(op));
    }
  };

  Socket socket_;
  // Bytes of the frame begun that have not been read yet.
  uint64_t frame_left_ = 0;
  // The next frame's header as far as it has arrived; header_read_ of its
  // bytes have been read (by Beast), header_seen_ have been peeked.
  uint8_t header_[kMaxHeader] = {};
  uint8_t header_read_ = 0;
  uint8_t header_seen_ = 0;
};

// Closing the WebSocket closes the socket beneath, as for a bare socket.
void teardown(boost::beast::role_type role, FrameBoundedSocket& socket, boost::system::error_code& ec);

template <class TeardownHandler>
void async_teardown(boost::beast::role_type role, FrameBoundedSocket& socket, TeardownHandler&& handler) {
  boost::beast::websocket::async_teardown(role, socket.next_layer(), std::forward<TeardownHandler>(handler));
}

}  // namespace nanokit::gateway
