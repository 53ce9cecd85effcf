#pragma once
// The socket types of a connection. Every connection lives on one shard's
// io_context, so its I/O objects name that executor type rather than the
// type-erased any_io_executor: each pending operation (and Beast nests
// several per read) then carries an 8-byte executor instead of a
// type-erased one, which shows in an idle connection's memory and in the
// cost of every write.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/websocket/stream_fwd.hpp>

namespace nanokit::gateway {

using ShardExecutor = boost::asio::io_context::executor_type;
using Socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, ShardExecutor>;
using TcpStream = boost::beast::basic_stream<boost::asio::ip::tcp, ShardExecutor>;
// A connection to a gateway started with --tls-cert: TLS over the same TCP
// stream. HttpSession and WebSocketSession exist for both (templates on the
// stream), so the plain-text path costs nothing for TLS being possible.
// Asio's own ssl::stream (movable since Boost 1.75), not beast::ssl_stream:
// with Boost 1.81 and Clang, the latter's WebSocket teardown is ambiguous.
using TlsStream = boost::asio::ssl::stream<TcpStream>;

}  // namespace nanokit::gateway
