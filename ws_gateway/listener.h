#pragma once
// Accepts TCP connections and hands each to an HttpSession. When the
// process is out of descriptors (or the kernel out of memory for sockets),
// the connections waiting stay in the listen backlog and accepting pauses,
// up to 5 ms at first and twice as long each time up to a second (the
// reconnects' protocol::Backoff), as Go's net/http does: retrying at once would fail at once, forever, a core
// spent and a log line written each time. It says so at most once a minute
// (near the limit, accepts fail and succeed by turns).

#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "protocol/backoff.h"
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
  // Sets the socket's options and starts its HttpSession.
  void Serve(Socket socket, size_t shard);
  // After a failed accept: DoAccept at once, or after a pause when the
  // failure is for want of resources.
  void AcceptAgainAfter(const boost::system::error_code& ec);

  Gateway* const gateway_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer pause_timer_;
  protocol::Backoff pause_backoff_;  // reset by an accept that works
  uint64_t failed_since_warning_ = 0;
  absl::Time last_warning_ = absl::InfinitePast();
  bool warned_ = false;  // a warning not yet followed by "accepting again"
};

}  // namespace nanokit::gateway
