#include "ws_gateway/websocket_session.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <google/protobuf/util/json_util.h>
#include "common/clock.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/server_message.h"
#include "common/validate.h"
#include "ws_gateway/gateway.h"
#include "ws_gateway/upgrade_policy.h"

namespace nanokit::gateway {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace v1 = nanokit::bridge::v1;

WebSocketSession::WebSocketSession(net::ip::tcp::socket&& socket, Gateway* gateway, uint64_t id)
    : ws_(std::move(socket)), heartbeat_timer_(ws_.get_executor()), gateway_(gateway), id_(id) {
  beast::error_code ec;
  auto endpoint = beast::get_lowest_layer(ws_).socket().remote_endpoint(ec);
  peer_ = ec ? "?" : absl::StrCat(endpoint.address().to_string(), ":", endpoint.port());
}

WebSocketSession::~WebSocketSession() = default;

void WebSocketSession::Run(http::request<http::string_body> request) {
  websocket::stream_base::timeout timeouts;
  timeouts.handshake_timeout = std::chrono::seconds(10);  // also bounds the closing handshake
  timeouts.idle_timeout = absl::ToChronoNanoseconds(gateway_->options().idle_timeout);
  timeouts.keep_alive_pings = true;  // a ping at half the idle timeout
  ws_.set_option(timeouts);
  ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& response) {
    response.set(http::field::server, "nanokit-gateway");
    response.set(http::field::sec_websocket_protocol, std::string(kSubprotocol));
  }));
  ws_.read_message_max(gateway_->options().max_message_bytes);
  ws_.auto_fragment(false);
  net::dispatch(ws_.get_executor(), [self = shared_from_this(), request = std::move(request)]() mutable {
    self->ws_.async_accept(request, [self](beast::error_code ec) { self->OnAccept(ec); });
  });
}

void WebSocketSession::OnAccept(beast::error_code ec) {
  if (ec) {
    log::Warn("conn=", id_, " WebSocket handshake failed: ", ec.message());
    closed_ = true;
    return;
  }
  log::Info("conn=", id_, " WebSocket open from ", peer_);
  gateway_->AddSession(shared_from_this());
  ArmHeartbeat();
  DoRead();
}

void WebSocketSession::DoRead() {
  ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t bytes) {
    self->OnRead(ec, bytes);
  });
}

void WebSocketSession::OnRead(beast::error_code ec, std::size_t) {
  if (ec) {
    if (ec == websocket::error::message_too_big) {
      log::Warn("conn=", id_, " sent a frame over ", gateway_->options().max_message_bytes, " bytes; closed (1009)");
    } else if (ec != websocket::error::closed && ec != net::error::operation_aborted) {
      log::Info("conn=", id_, " read ended: ", ec.message());
    }
    OnClosed();
    return;
  }
  if (!ws_.got_text()) {
    Reply(ErrorMessage("invalid_message", "binary frames are not part of the protocol; send JSON text frames"));
  } else {
    HandleMessage(beast::buffers_to_string(buffer_.data()));
  }
  buffer_.consume(buffer_.size());
  DoRead();
}

void WebSocketSession::HandleMessage(const std::string& text) {
  v1::ClientMessage message;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // newer clients may send more
  auto status = google::protobuf::util::JsonStringToMessage(text, &message, options);
  if (!status.ok()) {
    Reply(ErrorMessage("invalid_json", absl::StrCat("not a ClientMessage in JSON: ", status.message().as_string())));
    return;
  }
  if (message.type() == "subscribe") {
    Subscribe(message);
  } else if (message.type() == "unsubscribe") {
    Unsubscribe(message.project());
  } else {
    Reply(ErrorMessage("unknown_type", absl::StrCat("unknown message type \"", message.type().substr(0, 64),
                                                    "\"; expected subscribe or unsubscribe")));
  }
}

void WebSocketSession::Subscribe(const v1::ClientMessage& message) {
  const std::string& project = message.project();
  if (!IsValidProjectName(project)) {
    v1::ServerMessage error = ErrorMessage("invalid_project", "project names are 1-128 characters of [A-Za-z0-9._-]");
    Reply(error);
    return;
  }
  if (!subscriptions_.contains(project) && subscriptions_.size() >= gateway_->options().max_subscriptions) {
    v1::ServerMessage error = ErrorMessage(
        "too_many_subscriptions", absl::StrCat("at most ", gateway_->options().max_subscriptions, " per connection"));
    error.set_project(project);
    Reply(error);
    return;
  }
  auto channel = gateway_->Channel(project);
  if (!channel.ok()) {
    v1::ServerMessage error = ErrorMessage("unavailable", channel.status().message());
    error.set_project(project);
    Reply(error);
    return;
  }
  subscriptions_[project] = *channel;
  (*channel)->Subscribe(shared_from_this(), message.epoch(), message.after_seq());
}

void WebSocketSession::Unsubscribe(const std::string& project) {
  auto it = subscriptions_.find(project);
  if (it == subscriptions_.end()) return;
  it->second->Unsubscribe(id_);
  subscriptions_.erase(it);
}

void WebSocketSession::Reply(const v1::ServerMessage& message) {
  Enqueue(std::make_shared<const std::string>(ToJson(message)));
}

void WebSocketSession::Send(Frame frame) {
  net::post(ws_.get_executor(), [self = shared_from_this(), frame = std::move(frame)]() mutable {
    self->Enqueue(std::move(frame));
  });
}

void WebSocketSession::Enqueue(Frame frame) {
  if (closing_ || closed_) return;
  const auto& options = gateway_->options();
  if (queue_.size() >= options.max_queued_messages || queued_bytes_ + frame->size() > options.max_queued_bytes) {
    log::Warn("conn=", id_, " is not reading: ", queue_.size(), " messages (", queued_bytes_,
              " bytes) waiting; closing it");
    StartClose(websocket::close_code::try_again_later, "slow consumer: outbound queue full; resume to catch up");
    return;
  }
  queued_bytes_ += frame->size();
  queue_.push_back(std::move(frame));
  if (!writing_) DoWrite();
}

void WebSocketSession::DoWrite() {
  writing_ = true;
  ws_.text(true);
  ws_.async_write(net::buffer(*queue_.front()), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
    self->OnWrite(ec, n);
  });
}

void WebSocketSession::OnWrite(beast::error_code ec, std::size_t) {
  writing_ = false;
  if (ec) {
    // The read side notices too and runs OnClosed.
    queue_.clear();
    queued_bytes_ = 0;
    return;
  }
  if (!queue_.empty()) {
    queued_bytes_ -= queue_.front()->size();
    queue_.pop_front();
  }
  if (!queue_.empty() && !closing_) DoWrite();
}

void WebSocketSession::Close(websocket::close_code code, std::string reason) {
  net::post(ws_.get_executor(), [self = shared_from_this(), code, reason = std::move(reason)]() mutable {
    self->StartClose(code, std::move(reason));
  });
}

void WebSocketSession::StartClose(websocket::close_code code, std::string reason) {
  if (closing_ || closed_) return;
  closing_ = true;
  heartbeat_timer_.cancel();
  // What is queued behind the write in flight is dropped: after a close
  // frame nothing may follow. One close may run beside one write.
  while (queue_.size() > (writing_ ? 1u : 0u)) {
    queued_bytes_ -= queue_.back()->size();
    queue_.pop_back();
  }
  ws_.async_close(websocket::close_reason(code, reason), [self = shared_from_this()](beast::error_code) {
    // The read loop ends with websocket::error::closed and runs OnClosed.
  });
}

void WebSocketSession::ArmHeartbeat() {
  heartbeat_timer_.expires_after(absl::ToChronoNanoseconds(gateway_->options().heartbeat_interval));
  heartbeat_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec || self->closing_ || self->closed_) return;
    self->SendHeartbeat();
    self->ArmHeartbeat();
  });
}

void WebSocketSession::SendHeartbeat() {
  v1::ServerMessage message;
  message.set_type("heartbeat");
  v1::Heartbeat* heartbeat = message.mutable_heartbeat();
  *heartbeat->mutable_server_time() = NowTimestamp();
  bool hub_connected = true;
  for (const auto& [project, channel] : subscriptions_) {
    *heartbeat->add_projects() = channel->Liveness();
    hub_connected = hub_connected && channel->hub_connected();
  }
  if (subscriptions_.empty()) hub_connected = gateway_->HubConnected();
  heartbeat->set_hub_connected(hub_connected);
  Reply(message);
}

void WebSocketSession::OnClosed() {
  if (closed_) return;
  closed_ = true;
  heartbeat_timer_.cancel();
  for (auto& [project, channel] : subscriptions_) channel->Unsubscribe(id_);
  subscriptions_.clear();
  queue_.clear();
  queued_bytes_ = 0;
  gateway_->RemoveSession(id_);
  log::Info("conn=", id_, " closed");
}

}  // namespace nanokit::gateway
