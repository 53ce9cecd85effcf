#pragma once
// The load tool's WebSocket client: raw frames over an Asio socket, read in
// large pieces (many frames per read), no parsing beyond the frame header,
// so that thousands of them on one thread are not what a benchmark measures.
// It answers pings and speaks just enough HTTP to upgrade. Not thread-safe:
// all clients of a run live on one io_context run by one thread.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace nanokit::bench {

class LoadClient : public std::enable_shared_from_this<LoadClient> {
 public:
  struct Callbacks {
    std::function<void(LoadClient&)> on_open;
    // A text or binary message (a fragment counts as one).
    std::function<void(LoadClient&, std::string_view payload)> on_message;
    // The connection failed or ended; close_code 0 when there was no close
    // frame (refused, reset, or closed by us).
    std::function<void(LoadClient&, uint16_t close_code)> on_closed;
  };

  LoadClient(boost::asio::io_context& ioc, Callbacks* callbacks, uint64_t id)
      : socket_(ioc), callbacks_(callbacks), id_(id) {}

  uint64_t id() const { return id_; }
  bool open() const { return open_; }

  // extra_headers: complete lines, each ending in \r\n. local: the address
  // to connect from (unspecified: the system's choice).
  void Connect(const boost::asio::ip::tcp::endpoint& endpoint, std::string host, std::string path,
               std::string extra_headers, const boost::asio::ip::address& local = {});
  // A masked text frame.
  void Send(std::string_view text);
  // Drops the connection without a closing handshake (as a crash would).
  void Close();

 private:
  void Read();
  void OnData(size_t bytes);
  bool ParseFrames();
  void SendFrame(uint8_t opcode, std::string_view payload);
  void Write();
  void Fail(uint16_t close_code);

  boost::asio::ip::tcp::socket socket_;
  Callbacks* const callbacks_;
  const uint64_t id_;
  std::vector<char> in_;
  size_t in_size_ = 0;
  bool upgraded_ = false;
  bool open_ = false;
  bool done_ = false;
  std::string out_;          // waiting to be written
  std::string out_writing_;  // being written
  bool writing_ = false;
  uint32_t mask_state_;
};

}  // namespace nanokit::bench
