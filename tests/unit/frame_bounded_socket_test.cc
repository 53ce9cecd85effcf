// FrameBoundedSocket under a real Beast WebSocket on loopback sockets, with
// the client's frames written as raw bytes (so that several can arrive in
// one TCP segment, or one in pieces).

#include "ws_gateway/frame_bounded_socket.h"

#include <sys/ioctl.h>

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <string>
#include <vector>

namespace nanokit::gateway {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

// A masked client frame (RFC 6455): FIN set, the given opcode.
std::string ClientFrame(uint8_t opcode, const std::string& payload) {
  std::string frame;
  frame.push_back(static_cast<char>(0x80 | opcode));
  const size_t n = payload.size();
  if (n < 126) {
    frame.push_back(static_cast<char>(0x80 | n));
  } else if (n < 65536) {
    frame.push_back(static_cast<char>(0x80 | 126));
    frame.push_back(static_cast<char>(n >> 8));
    frame.push_back(static_cast<char>(n & 0xff));
  } else {
    frame.push_back(static_cast<char>(0x80 | 127));
    for (int i = 7; i >= 0; --i) frame.push_back(static_cast<char>((uint64_t{n} >> (8 * i)) & 0xff));
  }
  const char mask[4] = {0x12, 0x34, 0x56, 0x78};
  frame.append(mask, 4);
  for (size_t i = 0; i < n; ++i) frame.push_back(static_cast<char>(payload[i] ^ mask[i % 4]));
  return frame;
}

TEST(WebSocketFrameSizeTest, CountsHeaderMaskAndPayload) {
  auto size = [](const std::string& frame, size_t available) {
    return WebSocketFrameSize(reinterpret_cast<const uint8_t*>(frame.data()), available);
  };
  for (size_t n : {size_t{0}, size_t{5}, size_t{125}, size_t{126}, size_t{65535}, size_t{65536}, size_t{70000}}) {
    const std::string frame = ClientFrame(0x1, std::string(n, 'x'));
    EXPECT_EQ(size(frame, frame.size()), frame.size()) << n;
    EXPECT_EQ(size(frame, 14), frame.size()) << "the header alone tells, " << n;
  }
  const std::string long_frame = ClientFrame(0x1, std::string(70000, 'x'));
  EXPECT_EQ(size(long_frame, 1), 0u);
  EXPECT_EQ(size(long_frame, 9), 0u) << "a 64-bit length needs 10 bytes";
  const std::string unmasked = "\x81\x03" "abc";
  EXPECT_EQ(size(unmasked, 2), 5u);
  // A length past what fits is capped, not wrapped.
  const std::string huge = "\x82\xff\xff\xff\xff\xff\xff\xff\xff\xff";
  EXPECT_EQ(size(huge, huge.size()), std::numeric_limits<uint64_t>::max());
}

// A server side WebSocket over FrameBoundedSocket and a raw client socket.
class FrameBoundedSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tcp::acceptor acceptor(ioc_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    client_.connect(acceptor.local_endpoint());
    Socket accepted(ioc_.get_executor());
    acceptor.accept(accepted);
    // The upgrade, by hand on the client side; the server reads the request
    // on the bare socket, as the gateway's HttpSession does, and only then
    // puts the WebSocket on top.
    const std::string request =
        "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    net::write(client_, net::buffer(request));
    beast::flat_buffer http_buffer;
    beast::http::request<beast::http::string_body> upgrade;
    beast::http::read(accepted, http_buffer, upgrade);
    server_ = std::make_unique<websocket::stream<FrameBoundedSocket, false>>(std::move(accepted));
    bool accepted_done = false;
    server_->async_accept(upgrade, [&](beast::error_code ec) {
      EXPECT_FALSE(ec) << ec.message();
      accepted_done = true;
    });
    RunUntil([&] { return accepted_done; });
    std::string response;
    net::read_until(client_, net::dynamic_buffer(response), "\r\n\r\n");
    ASSERT_EQ(response.rfind("HTTP/1.1 101", 0), 0u) << response;
  }

  template <class Done>
  void RunUntil(Done done) {
    for (int i = 0; i < 2000 && !done(); ++i) {
      ioc_.restart();  // run_for stops the context when it runs out of work
      ioc_.run_for(std::chrono::milliseconds(1));
    }
    ASSERT_TRUE(done());
  }

  // One whole message, read by the server.
  std::string ReadMessage() {
    beast::flat_buffer buffer;
    bool done = false;
    server_->async_read(buffer, [&](beast::error_code ec, size_t) {
      EXPECT_FALSE(ec) << ec.message();
      done = true;
    });
    RunUntil([&] { return done; });
    return beast::buffers_to_string(buffer.data());
  }

  // How a read of the next message ends (it must end).
  beast::error_code ReadOutcome() {
    beast::flat_buffer buffer;
    beast::error_code result;
    bool done = false;
    server_->async_read(buffer, [&](beast::error_code ec, size_t) {
      result = ec;
      done = true;
    });
    RunUntil([&] { return done; });
    return result;
  }

  // Bytes waiting in the server's socket, not yet read by anyone.
  int Unread() {
    int bytes = 0;
    ioctl(server_->next_layer().next_layer().native_handle(), FIONREAD, &bytes);
    return bytes;
  }

  net::io_context ioc_;
  tcp::socket client_{ioc_};
  std::unique_ptr<websocket::stream<FrameBoundedSocket, false>> server_;
};

TEST_F(FrameBoundedSocketTest, MessagesArrivingTogetherAreTakenOneAtATime) {
  const std::string first = ClientFrame(0x1, R"({"type":"subscribe","project":"a"})");
  const std::string second = ClientFrame(0x1, R"({"type":"subscribe","project":"b"})");
  net::write(client_, net::buffer(first + second));  // one segment
  EXPECT_EQ(ReadMessage(), R"({"type":"subscribe","project":"a"})");
  // The second is still in the socket, where a readability wait sees it,
  // and not in Beast's buffer, where nothing would wake the connection.
  EXPECT_EQ(Unread(), static_cast<int>(second.size()));
  EXPECT_EQ(ReadMessage(), R"({"type":"subscribe","project":"b"})");
  EXPECT_EQ(Unread(), 0);
}

TEST_F(FrameBoundedSocketTest, AFrameArrivingInPiecesIsReadWhole) {
  const std::string payload(1000, 'p');
  const std::string frame = ClientFrame(0x1, payload);
  std::string message;
  beast::flat_buffer buffer;
  bool done = false;
  server_->async_read(buffer, [&](beast::error_code ec, size_t) {
    EXPECT_FALSE(ec) << ec.message();
    done = true;
  });
  // One byte of header, the rest of it, then the payload in two parts.
  for (auto [from, to] : {std::pair<size_t, size_t>{0, 1}, {1, 4}, {4, 500}, {500, frame.size()}}) {
    net::write(client_, net::buffer(frame.data() + from, to - from));
    ioc_.restart();
    ioc_.run_for(std::chrono::milliseconds(5));
  }
  RunUntil([&] { return done; });
  EXPECT_EQ(beast::buffers_to_string(buffer.data()), payload);
}

TEST_F(FrameBoundedSocketTest, AHeaderBegunWaitsForTheRestWithoutSpinning) {
  const std::string frame = ClientFrame(0x1, std::string(300, 'p'));  // a 2-byte length: 8 bytes of header
  const std::string next = ClientFrame(0x1, "next");
  beast::flat_buffer buffer;
  bool done = false;
  server_->async_read(buffer, [&](beast::error_code ec, size_t) {
    EXPECT_FALSE(ec) << ec.message();
    done = true;
  });
  // The header a byte at a time: while the rest has not come, the read
  // waits. A wait with the begun header left unread in the socket would
  // wake at once, again and again (a core spent per such connection).
  for (size_t i = 0; i < 8; ++i) {
    net::write(client_, net::buffer(frame.data() + i, 1));
    ioc_.restart();
    const size_t handlers = ioc_.run_for(std::chrono::milliseconds(50));
    EXPECT_LE(handlers, 3u) << "after header byte " << i + 1;
    EXPECT_FALSE(done);
  }
  // The payload and the next frame together: this frame alone is taken.
  net::write(client_, net::buffer(frame.substr(8) + next));
  RunUntil([&] { return done; });
  EXPECT_EQ(beast::buffers_to_string(buffer.data()), std::string(300, 'p'));
  EXPECT_EQ(Unread(), static_cast<int>(next.size()));
  EXPECT_EQ(ReadMessage(), "next");
}

TEST_F(FrameBoundedSocketTest, AClientPingIsAnsweredBetweenMessages) {
  net::write(client_, net::buffer(ClientFrame(0x9, "are you there") + ClientFrame(0x1, "hello")));
  EXPECT_EQ(ReadMessage(), "hello");
  // The pong Beast wrote: unmasked, opcode 0xA, the ping's payload.
  RunUntil([&] { return client_.available() >= 15; });
  char pong[2 + 13];
  net::read(client_, net::buffer(pong));
  EXPECT_EQ(static_cast<uint8_t>(pong[0]), 0x8a);
  EXPECT_EQ(std::string(pong + 2, 13), "are you there");
}

TEST_F(FrameBoundedSocketTest, TheEndOfTheStreamEndsTheRead) {
  client_.shutdown(tcp::socket::shutdown_send);
  EXPECT_EQ(ReadOutcome(), net::error::eof);
}

TEST_F(FrameBoundedSocketTest, AnOversizedFrameIsRefusedByBeast) {
  server_->read_message_max(1024);
  net::write(client_, net::buffer(ClientFrame(0x1, std::string(5000, 'x'))));
  EXPECT_EQ(ReadOutcome(), websocket::error::message_too_big);
}

}  // namespace
}  // namespace nanokit::gateway
