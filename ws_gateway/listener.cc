#include "ws_gateway/listener.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <cerrno>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include "absl/strings/str_cat.h"
#include "common/file_limit.h"
#include "common/log.h"
#include "ws_gateway/gateway.h"
#include "ws_gateway/http_session.h"

namespace nanokit::gateway {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr absl::Duration kFirstPause = absl::Milliseconds(5);
constexpr absl::Duration kLongestPause = absl::Seconds(1);
constexpr absl::Duration kWarningInterval = absl::Minutes(1);

// Failures that the next accept would repeat until something is released.
bool OutOfResources(const boost::system::error_code& ec) {
  return ec == net::error::no_descriptors || ec.value() == ENFILE || ec == net::error::no_buffer_space ||
         ec == net::error::no_memory;
}

}  // namespace

Listener::Listener(net::io_context& ioc, Gateway* gateway)
    : gateway_(gateway), acceptor_(ioc), pause_timer_(ioc), pause_backoff_(kFirstPause, kLongestPause) {}

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
    self->pause_timer_.cancel();
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
  if (ec) return AcceptAgainAfter(ec);
  pause_backoff_.Reset();
  if (warned_) {
    log::Info("accepting connections again");
    warned_ = false;
  }
  Serve(std::move(socket), shard);
  DoAccept();
}

void Listener::Serve(Socket socket, size_t shard) {
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

void Listener::AcceptAgainAfter(const boost::system::error_code& ec) {
  gateway_->metrics().accept_failures.Add();
  const bool out_of_resources = OutOfResources(ec);
  ++failed_since_warning_;
  const absl::Time now = gateway_->options().clock->Now();
  if (now - last_warning_ >= kWarningInterval) {
    const std::string advice = ec == net::error::no_descriptors ? absl::StrCat(" (", OpenFileLimitAdvice(), ")") : "";
    const std::string count =
        failed_since_warning_ > 1 ? absl::StrCat("; ", failed_since_warning_, " failed since the last warning") : "";
    const std::string what_now =
        out_of_resources ? absl::StrCat("; waiting connections stay queued; accepting again within ",
                                        absl::FormatDuration(kFirstPause), ", backing off up to ",
                                        absl::FormatDuration(kLongestPause))
                         : "";
    log::Warn("accept failed: ", ec.message(), advice, count, what_now);
    last_warning_ = now;
    failed_since_warning_ = 0;
    warned_ = true;
  }
  // One connection's trouble (it was reset before we took it, say).
  if (!out_of_resources) return DoAccept();
  pause_timer_.expires_after(absl::ToChronoNanoseconds(pause_backoff_.Next()));
  pause_timer_.async_wait([self = shared_from_this()](boost::system::error_code wait_ec) {
    if (wait_ec || !self->acceptor_.is_open()) return;
    self->DoAccept();
  });
}

}  // namespace nanokit::gateway
