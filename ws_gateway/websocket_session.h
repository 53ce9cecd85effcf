#pragma once
// One dashboard connection on /ws. Owns its socket and keeps itself alive
// with shared_from_this; every handler runs on its shard's one thread. It
// reads ClientMessages, subscribes to ProjectFanouts, and writes the shared
// frames they deliver from a bounded queue, one write in flight at a time.
// A connection that keeps up costs a pointer per frame; one that falls
// behind has its backlog compacted (conflated, old log lines dropped).
// Stream is TcpStream or, behind --tls-cert, TlsStream.
//
// An idle connection costs as little as we can make it: no timer of its
// own (its shard's ShardTicker visits it once a heartbeat interval, for the
// heartbeat and the write timeout), and in plain text no WebSocket read
// pending while nothing arrives (it waits for its socket to be readable,
// which FrameBoundedSocket makes safe). A dead peer is found by TCP: data
// unacknowledged for the idle timeout ends the connection (TCP_USER_TIMEOUT;
// heartbeats keep data flowing).

#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "nanokit/bridge/v1/websocket.pb.h"
#include "auth/access_control.h"
#include "ws_gateway/client_request.h"
#include "ws_gateway/directory_mirror.h"
#include "ws_gateway/frame_bounded_socket.h"
#include "ws_gateway/outbound_queue.h"
#include "ws_gateway/project_fanout.h"
#include "ws_gateway/shard_ticker.h"
#include "ws_gateway/stream.h"
#include "ws_gateway/subscriber.h"
#include "ws_gateway/write_watchdog.h"

namespace nanokit::gateway {

class Gateway;

// The close code for a connection whose token was revoked or expired while
// it was open (docs/protocol.md, "Close codes"): sign in or get a new token.
inline constexpr uint16_t kCloseTokenRevoked = 4401;

// What the gateway holds of an open dashboard connection, whatever its
// transport.
class DashboardConnection : public Subscriber, public ProjectListFollower {
 public:
  // One id and one shard for both roles.
  uint64_t id() const override = 0;
  size_t shard() const override = 0;
  // Thread-safe: closes the WebSocket with this code and reason.
  virtual void Close(boost::beast::websocket::close_code code, std::string reason) = 0;
};

// What an upgraded connection's WebSocket runs on. In plain text, the bare
// socket read a frame at a time: basic_stream's timers guard an HTTP
// request, while an open WebSocket's time is kept by its shard, and
// dropping the layer takes its state (~340 bytes) and a step of every read
// and write off each connection. Over TLS, the TLS stream as it is.
template <class Stream>
struct WebSocketLayerOf;
template <>
struct WebSocketLayerOf<TcpStream> {
  using type = FrameBoundedSocket;
};
template <>
struct WebSocketLayerOf<TlsStream> {
  using type = TlsStream;
};
template <class Stream>
using WebSocketLayer = typename WebSocketLayerOf<Stream>::type;

template <class Stream>
class WebSocketSession : public std::enable_shared_from_this<WebSocketSession<Stream>>,
                         public DashboardConnection,
                         public TickTarget {
 public:
  // stream's executor is the io_context of the given shard; tls is what a
  // TlsStream was made with (null in plain text).
  WebSocketSession(WebSocketLayer<Stream>&& stream, Gateway* gateway, uint64_t id, size_t shard,
                   std::shared_ptr<boost::asio::ssl::context> tls);
  ~WebSocketSession() override;

  // Completes the upgrade of an already-checked request, made by identity.
  void Run(boost::beast::http::request<boost::beast::http::string_body> request, auth::Identity identity);

  uint64_t id() const override { return id_; }
  size_t shard() const override { return shard_; }
  void Deliver(absl::Span<const OutboundFramePtr> frames) override;
  void OnProjectList(std::shared_ptr<const bridge::v1::ProjectList> list) override;
  void Close(boost::beast::websocket::close_code code, std::string reason) override;
  // Once a heartbeat interval, from the shard's ticker.
  void OnTick(TickRound& round) override;

 private:
  static constexpr bool kPlainText = std::is_same_v<Stream, TcpStream>;

  void OnAccept(boost::beast::error_code ec, auth::Identity identity);
  // The next read: of the message begun, or, between messages in plain
  // text, a wait for the socket to be readable first.
  void DoRead();
  void ReadMessage();
  void OnRead(boost::beast::error_code ec, std::size_t bytes);
  void HandleMessage(const std::string& text);
  void Subscribe(const ClientRequest& request);
  void Unsubscribe(const std::string& project);
  // The token's grant changed (null: revoked or expired).
  void OnGrantChange(auth::GrantPtr grant);
  // From now on, follow this identity's grant.
  void FollowIdentity(const auth::Identity& identity);
  // An "auth" message: the connection moves to a fresh token. refreshed:
  // the provider's keys were fetched again for it.
  void Reauthenticate(std::string token, bool refreshed);
  void Reply(const bridge::v1::ServerMessage& message);
  // Starts the next write: the queue's next batch as one frame — a message
  // alone as itself, several as a "batch" written straight from the shared
  // buffers.
  void Flush();
  void OnWrite(boost::beast::error_code ec, std::size_t bytes);
  // A write of in_flight_ completed: messages, bytes and delivery lag.
  void CountWritten(size_t bytes);
  void StartClose(boost::beast::websocket::close_code code, std::string reason);
  // At a tick while closing: past close_timeout, closes the socket (the
  // pending operations then end, and OnClosed runs).
  void DropIfCloseOverdue(absl::Time now);
  // Connections with the same subscriptions in one round share the frame.
  void SendHeartbeat(TickRound& round);
  OutboundFramePtr HeartbeatFrame(absl::Time now) const;
  // The connection is over: leave every fanout and the gateway.
  void OnClosed();
  // The TCP socket under the WebSocket (and TLS).
  Socket& LowestSocket() {
    if constexpr (kPlainText) {
      return ws_.next_layer().next_layer();
    } else {
      return boost::beast::get_lowest_layer(ws_).socket();
    }
  }

  const std::shared_ptr<boost::asio::ssl::context> tls_;
  // No permessage-deflate: the frames are shared by every connection, as
  // they are, and a compressor per connection would cost more than it saves.
  boost::beast::websocket::stream<WebSocketLayer<Stream>, /*deflateSupported=*/false> ws_;
  boost::beast::flat_buffer buffer_;
  Gateway* const gateway_;
  const uint64_t id_;
  const size_t shard_;

  // Everything below is touched on the shard's thread only.
  //
  // What waits for the socket, in order; mostly frames shared with every
  // other connection.
  OutboundQueue queue_;
  WriteBatch in_flight_;
  std::vector<boost::asio::const_buffer> buffers_;
  WriteWatchdog write_watchdog_;
  bool writing_ = false;
  // Where a readability wait peeks at one byte (it is left in the socket).
  uint8_t peeked_ = 0;
  // The close code we sent, when we closed first (for the metrics).
  uint16_t close_code_ = 0;
  bool closing_ = false;
  bool closed_ = false;
  // When the closing handshake began (or was first seen by the ticker:
  // Beast begins one itself after the dashboard's close frame or an
  // oversized frame). Beast bounds no closing handshake begun inside a read
  // (after its close frame it waits for the dashboard to close TCP, for
  // ever), so the ticker drops the connection past close_timeout.
  absl::Time closing_since_ = absl::InfiniteFuture();
  bool watching_projects_ = false;
  absl::flat_hash_map<std::string, std::shared_ptr<ProjectFanout>> subscriptions_;
  // What the connection's token may see now, and how it learns of changes.
  auth::GrantPtr grant_;
  std::unique_ptr<auth::GrantFollower> grant_follower_;
};

extern template class WebSocketSession<TcpStream>;
extern template class WebSocketSession<TlsStream>;

}  // namespace nanokit::gateway
