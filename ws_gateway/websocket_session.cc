#include "ws_gateway/websocket_session.h"

#include <algorithm>
#include <optional>
#include <span>

#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "absl/strings/str_cat.h"
#include "auth/failure_reason.h"
#include "auth/visible_projects.h"
#include "common/log.h"
#include "protocol/proto_time.h"
#include "protocol/server_message.h"
#include "ws_gateway/client_request.h"
#include "ws_gateway/exact_allocator.h"
#include "ws_gateway/gateway.h"
#include "ws_gateway/upgrade_policy.h"

namespace nanokit::gateway {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace v1 = nanokit::bridge::v1;

namespace {

// The same answer whether the project exists or not.
v1::ServerMessage ForbiddenError(const std::string& project) {
  v1::ServerMessage error = ErrorMessage("forbidden", "this connection's token may not view that project");
  error.set_project(project);
  return error;
}

}  // namespace

template <class Stream>
WebSocketSession<Stream>::WebSocketSession(WebSocketLayer<Stream>&& stream, Gateway* gateway, uint64_t id,
                                           size_t shard, std::shared_ptr<net::ssl::context> tls)
    : tls_(std::move(tls)),
      ws_(std::move(stream)),
      gateway_(gateway),
      id_(id),
      shard_(shard),
      queue_(gateway->options().outbound) {}

// A session leaves its shard's ticker in OnClosed, which its read loop
// always reaches while the shard runs; one destroyed without it (the
// gateway stopped with it open) is never visited again.
template <class Stream>
WebSocketSession<Stream>::~WebSocketSession() = default;

template <class Stream>
void WebSocketSession<Stream>::Run(http::request<http::string_body> request, auth::Identity identity) {
  websocket::stream_base::timeout timeouts;
  // Bounds the opening handshake, and a close we start when Beast can
  // write it at once; the ticker bounds every closing handshake (OnTick).
  timeouts.handshake_timeout = std::chrono::seconds(10);
  // No idle timer of Beast's (a pending wait on every connection): the
  // shard's ticker keeps time, TCP finds dead peers.
  timeouts.idle_timeout = websocket::stream_base::none();
  timeouts.keep_alive_pings = false;
  ws_.set_option(timeouts);
  ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& response) {
    response.set(http::field::server, "nanokit-gateway");
    response.set(http::field::sec_websocket_protocol, std::string(kSubprotocol));
  }));
  ws_.read_message_max(gateway_->options().max_message_bytes);
  ws_.auto_fragment(false);
  // The identity rides with the handshake: once open, the connection keeps
  // only its grant (an idle connection's every byte counts).
  net::dispatch(ws_.get_executor(), [self = this->shared_from_this(), request = std::move(request),
                                     identity = std::move(identity)]() mutable {
    self->ws_.async_accept(request, [self, identity = std::move(identity)](beast::error_code ec) mutable {
      self->OnAccept(ec, std::move(identity));
    });
  });
}

template <class Stream>
void WebSocketSession<Stream>::OnAccept(beast::error_code ec, auth::Identity identity) {
  if (ec) {
    log::Warn("conn=", id_, " WebSocket handshake failed: ", ec.message());
    closed_ = true;
    return;
  }
  grant_ = identity.grant;
  beast::error_code ignored;
  const auto peer = LowestSocket().remote_endpoint(ignored);
  log::Info("conn=", id_, " WebSocket open from ", peer.address().to_string(), ":", peer.port(), " as ",
            grant_->subject());
  gateway_->AddSession(this->shared_from_this());
  FollowIdentity(identity);
  gateway_->ticker(shard_).Add(this);
  DoRead();
}

template <class Stream>
void WebSocketSession<Stream>::FollowIdentity(const auth::Identity& identity) {
  grant_follower_ = gateway_->options().access->Follow(
      identity, [weak = this->weak_from_this(), executor = ws_.get_executor()](auth::GrantPtr grant) {
        net::post(executor, [weak, grant = std::move(grant)]() mutable {
          if (auto self = weak.lock()) self->OnGrantChange(std::move(grant));
        });
      });
}

template <class Stream>
void WebSocketSession<Stream>::Reauthenticate(std::string token, bool refreshed) {
  if (closing_ || closed_) return;
  auto identity = gateway_->options().access->Authenticate(token);
  if (absl::IsNotFound(identity.status()) && !refreshed) {
    gateway_->RefreshKeysThen(ws_.get_executor(), [weak = this->weak_from_this(), token = std::move(token)] {
      if (auto self = weak.lock()) self->Reauthenticate(token, true);
    });
    return;
  }
  if (identity.ok()) {
    if (auto may_watch = CheckMayWatch(*identity); !may_watch.ok()) identity = may_watch;
  }
  if (!identity.ok()) {
    // The connection stays on the token it has until that one ends.
    gateway_->metrics().auth_failures.Add(auth::FailureReason(identity.status()));
    log::Warn("conn=", id_, " auth refused: ", identity.status().message());
    Reply(ErrorMessage("unauthenticated", absl::StrCat(identity.status().message(),
                                                       "; the connection keeps its current token")));
    return;
  }
  log::Info("conn=", id_, " now runs on a fresh token of ", identity->grant->subject());
  FollowIdentity(*identity);
  OnGrantChange(identity->grant);
  v1::ServerMessage authenticated;
  authenticated.set_type("authenticated");
  Reply(authenticated);
}

template <class Stream>
void WebSocketSession<Stream>::DoRead() {
  if constexpr (kPlainText) {
    if (ws_.is_message_done()) {
      // Between messages, which is where a dashboard spends its life: wait
      // for a byte (peeked, left for Beast) with no read pending. An error
      // or the end of the stream ends the connection here: the socket will
      // not signal it again, so a read started after it would wait forever.
      LowestSocket().async_receive(
          net::buffer(&peeked_, 1), net::socket_base::message_peek,
          net::bind_allocator(ExactAllocator<void>(), [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return self->OnRead(ec, 0);
            self->ReadMessage();
          }));
      return;
    }
  }
  ReadMessage();
}

template <class Stream>
void WebSocketSession<Stream>::ReadMessage() {
  // A piece at a time: a whole-message read would keep a buffer of Beast's
  // read size hint (1.5 KiB) prepared while the message is awaited.
  // Messages are still bounded by read_message_max.
  constexpr size_t kReadPiece = 64;
  ws_.async_read_some(buffer_, kReadPiece, [self = this->shared_from_this()](beast::error_code ec, std::size_t bytes) {
    self->OnRead(ec, bytes);
  });
}

template <class Stream>
void WebSocketSession<Stream>::OnRead(beast::error_code ec, std::size_t) {
  if (ec) {
    if (ec == websocket::error::message_too_big) {
      log::Warn("conn=", id_, " sent a frame over ", gateway_->options().max_message_bytes, " bytes; closed (1009)");
      close_code_ = websocket::close_code::too_big;
    } else if (!closing_ && ec != websocket::error::closed && ec != net::error::operation_aborted) {
      log::Info("conn=", id_, " read ended: ", ec.message());
    }
    OnClosed();
    return;
  }
  if (!ws_.is_message_done()) return DoRead();
  if (!ws_.got_text()) {
    Reply(ErrorMessage("invalid_message", "binary frames are not part of the protocol; send JSON text frames"));
  } else {
    HandleMessage(beast::buffers_to_string(buffer_.data()));
  }
  buffer_.consume(buffer_.size());
  // Dashboards rarely speak after subscribing: an idle connection keeps no
  // read buffer.
  buffer_.shrink_to_fit();
  DoRead();
}

template <class Stream>
void WebSocketSession<Stream>::HandleMessage(const std::string& text) {
  auto request = ParseClientRequest(text);
  if (auto* error = std::get_if<v1::ServerMessage>(&request)) {
    Reply(*error);
    return;
  }
  const ClientRequest& client_request = std::get<ClientRequest>(request);
  switch (client_request.kind) {
    case ClientRequest::Kind::kSubscribe:
      Subscribe(client_request);
      break;
    case ClientRequest::Kind::kUnsubscribe:
      Unsubscribe(client_request.project);
      break;
    case ClientRequest::Kind::kWatchProjects:
      if (watching_projects_) break;
      watching_projects_ = true;
      gateway_->directory().Follow(this->shared_from_this());
      break;
    case ClientRequest::Kind::kUnwatchProjects:
      if (!watching_projects_) break;
      watching_projects_ = false;
      gateway_->directory().Unfollow(id_);
      break;
    case ClientRequest::Kind::kAuth:
      Reauthenticate(client_request.token, false);
      break;
  }
}

template <class Stream>
void WebSocketSession<Stream>::Subscribe(const ClientRequest& request) {
  const std::string& project = request.project;
  if (!grant_->MayView(project)) {
    Reply(ForbiddenError(project));
    return;
  }
  if (!subscriptions_.contains(project) && subscriptions_.size() >= gateway_->options().max_subscriptions) {
    v1::ServerMessage error = ErrorMessage(
        "too_many_subscriptions", absl::StrCat("at most ", gateway_->options().max_subscriptions, " per connection"));
    error.set_project(project);
    Reply(error);
    return;
  }
  auto fanout = gateway_->Fanout(project);
  if (!fanout.ok()) {
    v1::ServerMessage error = ErrorMessage("unavailable", fanout.status().message());
    error.set_project(project);
    Reply(error);
    return;
  }
  if (!subscriptions_.contains(project)) gateway_->metrics().subscriptions.Add();
  subscriptions_[project] = *fanout;
  (*fanout)->Subscribe(this->shared_from_this(), request.epoch, request.after_seq);
}

template <class Stream>
void WebSocketSession<Stream>::Unsubscribe(const std::string& project) {
  auto it = subscriptions_.find(project);
  if (it == subscriptions_.end()) return;
  it->second->Unsubscribe(id_);
  subscriptions_.erase(it);
  gateway_->metrics().subscriptions.Sub();
}

template <class Stream>
void WebSocketSession<Stream>::OnGrantChange(auth::GrantPtr grant) {
  if (closing_ || closed_) return;
  if (grant == nullptr) {
    log::Warn("conn=", id_, " token of ", grant_->subject(), " was revoked or has expired; closing (4401)");
    StartClose(static_cast<websocket::close_code>(kCloseTokenRevoked), "signed out, or the token was revoked or expired");
    return;
  }
  grant_ = std::move(grant);
  std::vector<std::string> lost;
  for (const auto& [project, fanout] : subscriptions_) {
    if (!grant_->MayView(project)) lost.push_back(project);
  }
  for (const std::string& project : lost) {
    Unsubscribe(project);
    Reply(ForbiddenError(project));
  }
  // A full list under the new grant replaces what the dashboard knew.
  if (watching_projects_) gateway_->directory().Resync(id_);
}

template <class Stream>
void WebSocketSession<Stream>::OnProjectList(std::shared_ptr<const v1::ProjectList> list) {
  if (!watching_projects_ || closing_ || closed_) return;
  auto visible = auth::VisibleProjects(*grant_, *list);
  if (!visible) return;
  v1::ServerMessage message;
  message.set_type("projects");
  message.mutable_project_list()->Swap(&*visible);
  Reply(message);
}

template <class Stream>
void WebSocketSession<Stream>::Reply(const v1::ServerMessage& message) {
  Deliver(PackFrames({EncodeMessage(message)}));
}

namespace {

constexpr std::string_view kBatchPrefix = "{\"type\":\"batch\",\"messages\":[";
constexpr std::string_view kComma = ",";
constexpr std::string_view kBatchSuffix = "]}";

}  // namespace

template <class Stream>
void WebSocketSession<Stream>::Deliver(absl::Span<const OutboundFramePtr> frames) {
  if (closing_ || closed_) return;
  if (!queue_.Push(frames)) {
    log::Warn("conn=", id_, " is not reading: ", queue_.messages(), " messages (", queue_.bytes(),
              " bytes) waiting; closing it");
    gateway_->metrics().slow_consumer_closes.Add();
    StartClose(websocket::close_code::try_again_later, "slow consumer: outbound queue full; resume to catch up");
    return;
  }
  if (!writing_) Flush();
}

template <class Stream>
void WebSocketSession<Stream>::Flush() {
  in_flight_ = queue_.TakeWrite();
  if (in_flight_.empty()) return;
  size_t messages = 0;
  for (const OutboundFramePtr& frame : in_flight_) messages += frame->size();
  writing_ = true;
  write_watchdog_.WriteStarted(gateway_->options().clock->Now());
  ws_.text(true);
  auto done = [self = this->shared_from_this()](beast::error_code ec, std::size_t n) { self->OnWrite(ec, n); };
  if (messages == 1) {
    const std::string_view body = in_flight_[0]->body();
    ws_.async_write(net::buffer(body.data(), body.size()), std::move(done));
    return;
  }
  // {"type":"batch","messages":[m1,m2,...]}: canonical JSON of the batch,
  // gathered from the shared buffers without copying them.
  buffers_.clear();
  buffers_.reserve(in_flight_.size() * 2 + 1);
  buffers_.push_back(net::buffer(kBatchPrefix.data(), kBatchPrefix.size()));
  for (size_t i = 0; i < in_flight_.size(); ++i) {
    if (i > 0) buffers_.push_back(net::buffer(kComma.data(), kComma.size()));
    const std::string_view body = in_flight_[i]->body();
    buffers_.push_back(net::buffer(body.data(), body.size()));
  }
  buffers_.push_back(net::buffer(kBatchSuffix.data(), kBatchSuffix.size()));
  // A view: Beast keeps the sequence by value, and the vector lives on.
  ws_.async_write(std::span<const net::const_buffer>(buffers_), std::move(done));
}

template <class Stream>
void WebSocketSession<Stream>::OnWrite(beast::error_code ec, std::size_t bytes) {
  writing_ = false;
  write_watchdog_.WriteFinished();
  if (ec) {
    in_flight_.clear();
    // The read side notices too and runs OnClosed.
    queue_.Clear();
    return;
  }
  CountWritten(bytes);
  in_flight_.clear();
  if (!closing_) Flush();
}

template <class Stream>
void WebSocketSession<Stream>::CountWritten(size_t bytes) {
  GatewayMetrics& metrics = gateway_->metrics();
  size_t messages = 0;
  std::optional<absl::Time> now;
  for (const OutboundFramePtr& frame : in_flight_) {
    messages += frame->size();
    if (frame->emitted_at == absl::InfinitePast()) continue;
    if (!now) now = gateway_->options().clock->Now();
    metrics.delivery_lag_seconds.Observe(*now - frame->emitted_at);
  }
  metrics.messages_sent.Add(messages);
  metrics.bytes_sent.Add(bytes);
}

template <class Stream>
void WebSocketSession<Stream>::Close(websocket::close_code code, std::string reason) {
  net::post(ws_.get_executor(), [self = this->shared_from_this(), code, reason = std::move(reason)]() mutable {
    self->StartClose(code, std::move(reason));
  });
}

template <class Stream>
void WebSocketSession<Stream>::StartClose(websocket::close_code code, std::string reason) {
  if (closing_ || closed_) return;
  closing_ = true;
  closing_since_ = gateway_->options().clock->Now();
  close_code_ = static_cast<uint16_t>(code);
  // What waits behind the write in flight is dropped: after a close frame
  // nothing may follow. One close may run beside one write.
  queue_.Clear();
  ws_.async_close(websocket::close_reason(code, reason), [self = this->shared_from_this()](beast::error_code) {
    // The read loop ends with websocket::error::closed and runs OnClosed.
  });
}

template <class Stream>
void WebSocketSession<Stream>::OnTick(TickRound& round) {
  if (closed_) return;
  if (!closing_ && !ws_.is_open()) {  // a closing handshake Beast began
    closing_ = true;
    closing_since_ = round.now();
    queue_.Clear();
  }
  if (closing_) return DropIfCloseOverdue(round.now());
  // A batch's gather list is kept while writes come; not by a connection
  // that has gone quiet.
  if (!writing_) buffers_ = {};
  if (const auto overdue = write_watchdog_.Overdue(round.now(), gateway_->options().write_timeout)) {
    log::Warn("conn=", id_, " has not taken a write for ", absl::FormatDuration(*overdue), "; closing it");
    gateway_->metrics().slow_consumer_closes.Add();
    StartClose(websocket::close_code::try_again_later, "slow consumer: write timed out; resume to catch up");
    return;
  }
  SendHeartbeat(round);
}

template <class Stream>
void WebSocketSession<Stream>::DropIfCloseOverdue(absl::Time now) {
  if (now - closing_since_ <= gateway_->options().close_timeout) return;
  log::Info("conn=", id_, " did not finish closing within ", absl::FormatDuration(gateway_->options().close_timeout),
            "; dropping it");
  closing_since_ = absl::InfiniteFuture();  // once: OnClosed follows
  beast::error_code ignored;
  LowestSocket().close(ignored);
}

template <class Stream>
void WebSocketSession<Stream>::SendHeartbeat(TickRound& round) {
  // A heartbeat says what the connection is subscribed to, nothing of its
  // own: with one subscription or none (nearly every dashboard), it is the
  // same frame as every other such connection's in this round.
  if (subscriptions_.size() > 1) {
    Deliver({HeartbeatFrame(round.now())});
    return;
  }
  const void* key = subscriptions_.empty() ? nullptr : subscriptions_.begin()->second.get();
  Deliver({round.SharedFrame(key, [&] { return HeartbeatFrame(round.now()); })});
}

template <class Stream>
OutboundFramePtr WebSocketSession<Stream>::HeartbeatFrame(absl::Time now) const {
  v1::ServerMessage message;
  message.set_type("heartbeat");
  v1::Heartbeat* heartbeat = message.mutable_heartbeat();
  *heartbeat->mutable_server_time() = ToTimestamp(now);
  bool hub_connected = true;
  for (const auto& [project, fanout] : subscriptions_) {
    *heartbeat->add_projects() = fanout->Liveness();
    hub_connected = hub_connected && fanout->hub_connected();
  }
  if (subscriptions_.empty()) hub_connected = gateway_->HubConnected();
  heartbeat->set_hub_connected(hub_connected);
  *heartbeat->mutable_interval() = ToDuration(gateway_->options().heartbeat_interval);
  return PackFrames({EncodeMessage(message)}).front();
}

template <class Stream>
void WebSocketSession<Stream>::OnClosed() {
  if (closed_) return;
  closed_ = true;
  gateway_->ticker(shard_).Remove(this);
  GatewayMetrics& metrics = gateway_->metrics();
  // Ours when we closed first, else the dashboard's; 1006 when the
  // connection ended without a close frame.
  uint16_t code = close_code_ != 0 ? close_code_ : static_cast<uint16_t>(ws_.reason().code);
  if (code == 0) code = websocket::close_code::abnormal;
  metrics.disconnects.Add(absl::StrCat(code));
  metrics.subscriptions.Sub(static_cast<int64_t>(subscriptions_.size()));
  for (auto& [project, fanout] : subscriptions_) fanout->Unsubscribe(id_);
  subscriptions_.clear();
  if (watching_projects_) gateway_->directory().Unfollow(id_);
  watching_projects_ = false;
  grant_follower_.reset();
  queue_.Clear();
  gateway_->RemoveSession(id_);
  log::Info("conn=", id_, " closed");
}

template class WebSocketSession<TcpStream>;
template class WebSocketSession<TlsStream>;

}  // namespace nanokit::gateway
