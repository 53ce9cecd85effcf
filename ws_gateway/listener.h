#pragma once
// Accepts TCP connections and hands each to an HttpSession.

#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>

#include "absl/status/status.h"
#include "ws_gateway/stream.h"

namespace nanokit::gateway {

class Gateway;

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(boost::asio::io_context& ioc, Gateway* gateway);

  absl::Status Bind(const boost::asio::ip::tcp::endpoint& endpoint);
  boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
  void Run();
  // Stops accepting; connections already open are not affected.
  void Stop();

 private:
  void DoAccept();
  void OnAccept(boost::system::error_code ec, Socket socket, size_t shard);

  Gateway* const gateway_;
  boost::asio::ip::tcp::acceptor acceptor_;
};

}  // namespace nanokit::gateway
