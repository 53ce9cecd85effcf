#pragma once
// A TCP proxy for fault injection between two real processes: it forwards
// 127.0.0.1:port() to a target port, and on command drops every connection,
// stalls them (bytes wait, connections stay open) or delays every chunk (a
// long link: each exchange costs twice the delay).

#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace nanokit::testing {

class TcpProxy {
 public:
  explicit TcpProxy(uint16_t target_port);
  ~TcpProxy();

  uint16_t port() const { return port_; }
  // Closes every connection now; new ones are accepted as before.
  void DropAll();
  // While stalled nothing is forwarded in either direction.
  void SetStalled(bool stalled);
  // Each chunk read waits this long before it is forwarded, in order.
  void SetDelay(std::chrono::milliseconds delay);

 private:
  class Pipe;
  void Accept();

  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  const uint16_t target_port_;
  uint16_t port_ = 0;
  bool stalled_ = false;  // on the io thread only
  std::chrono::milliseconds delay_{0};  // on the io thread only
  std::vector<std::weak_ptr<Pipe>> pipes_;  // on the io thread only
  std::thread thread_;
};

}  // namespace nanokit::testing
