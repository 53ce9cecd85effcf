#include "ws_gateway/listener.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "ws_gateway/gateway.h"
#include "ws_gateway/http_session.h"

namespace nanokit::gateway {

namespace net = boost::asio;
using tcp = net::ip::tcp;

Listener::Listener(net::io_context& ioc, Gateway* gateway)
    : gateway_(gateway), acceptor_(ioc) {}

absl::Status Listener::Bind(const tcp::endpoint& endpoint) {
  boost::system::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", endpoint.address().to_string(), ":", endpoint.port(), ": ", ec.message()));
  }
  return absl::OkStatus();
}

void Listener::Run() {
  net::dispatch(acceptor_.get_executor(), [self = shared_from_this()] { self->DoAccept(); });
}

void Listener::Stop() {
  net::post(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ec;
    self->acceptor_.close(ec);
  });
}

void Listener::DoAccept() {
  // Each connection lives on one shard, whose one thread runs all its
  // handlers: they never run concurrently.
  const size_t shard = gateway_->NextShard();
  acceptor_.async_accept(gateway_->shard(shard).get_executor(),
                         [self = shared_from_this(), shard](boost::system::error_code ec, Socket socket) {
    self->OnAccept(ec, std::move(socket), shard);
  });
}

void Listener::OnAccept(boost::system::error_code ec, Socket socket, size_t shard) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    // Out of descriptors and the like: keep accepting, the next may work.
    log::Warn("accept failed: ", ec.message());
  } else {
    // Small frames leave at once instead of waiting for the previous one's
    // acknowledgement (Nagle), which on loopback is a 40 ms delayed ACK.
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    // A dead peer (a laptop closed, a network gone) leaves what we send it
    // unacknowledged: TCP ends the connection after the idle timeout, with
    // no timer or ping of ours on each connection (heartbeats keep data
    // flowing to every dashboard).
    using UserTimeout = net::detail::socket_option::integer<IPPROTO_TCP, TCP_USER_TIMEOUT>;
    socket.set_option(UserTimeout(static_cast<int>(absl::ToInt64Milliseconds(gateway_->options().idle_timeout))),
                      ignored);
    if (auto tls = gateway_->TlsContext()) {
      std::make_shared<HttpSession<TlsStream>>(std::move(socket), gateway_, shard, std::move(tls))->Run();
    } else {
      std::make_shared<HttpSession<TcpStream>>(std::move(socket), gateway_, shard)->Run();
    }
  }
  DoAccept();
}

}  // namespace nanokit::gateway
