#include "ws_gateway/websocket_session.h"

#include <algorithm>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
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

namespace {
constexpr size_t kCompactAtLeast = 2 * kMaxBatchMessages;
}  // namespace

WebSocketSession::WebSocketSession(Socket&& socket, Gateway* gateway, uint64_t id, size_t shard)
    : ws_(std::move(socket)),
      heartbeat_timer_(ws_.get_executor()),
      gateway_(gateway),
      id_(id),
      shard_(shard),
      compact_at_messages_(kCompactAtLeast) {
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
  // A piece at a time: a whole-message read would keep a buffer of Beast's
  // read size hint (1.5 KiB) prepared on every idle connection. Messages
  // are still bounded by read_message_max.
  constexpr size_t kReadPiece = 64;
  ws_.async_read_some(buffer_, kReadPiece, [self = shared_from_this()](beast::error_code ec, std::size_t bytes) {
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
  Deliver(MakeChunks({EncodeMessage(message)}));
}

namespace {

// The same log_stream with more dropped lines counted. Only on the overflow
// path, so parsing the shared JSON again is fine.
Frame WithDroppedLines(const Frame& frame, uint64_t dropped) {
  v1::ServerMessage message;
  if (!google::protobuf::util::JsonStringToMessage(frame->json, &message).ok()) return frame;
  auto* logs = message.mutable_log_stream();
  logs->set_dropped_lines(logs->dropped_lines() + dropped);
  return EncodeMessage(message);
}

constexpr std::string_view kBatchPrefix = "{\"type\":\"batch\",\"messages\":[";
constexpr std::string_view kComma = ",";
constexpr std::string_view kBatchSuffix = "]}";

}  // namespace

void WebSocketSession::Deliver(const std::vector<Chunk>& chunks) {
  if (closing_ || closed_) return;
  for (const Chunk& chunk : chunks) {
    queued_messages_ += chunk->size();
    queued_bytes_ += chunk->body().size();
    queued_log_bytes_ += chunk->log_bytes;
    queue_.push_back(chunk);
  }
  const auto& options = gateway_->options();
  if (queued_messages_ > compact_at_messages_ || queued_log_bytes_ > options.max_queued_log_bytes ||
      queued_bytes_ > options.max_queued_bytes) {
    Compact();
  }
  // One message alone (a big snapshot, say) is not a backlog: the bound is
  // on what piles up behind it.
  if (queued_messages_ > 1 &&
      (queued_bytes_ > options.max_queued_bytes || queued_messages_ > options.max_queued_messages)) {
    log::Warn("conn=", id_, " is not reading: ", queued_messages_, " messages (", queued_bytes_,
              " bytes) waiting; closing it");
    StartClose(websocket::close_code::try_again_later, "slow consumer: outbound queue full; resume to catch up");
    return;
  }
  if (!writing_) Flush();
}

void WebSocketSession::Compact() {
  std::vector<Frame> frames;
  frames.reserve(queued_messages_);
  for (const Chunk& chunk : queue_) frames.insert(frames.end(), chunk->frames.begin(), chunk->frames.end());
  Conflate(frames);
  size_t log_bytes = 0;
  size_t newest_log = frames.size();
  for (size_t i = 0; i < frames.size(); ++i) {
    if (frames[i]->kind != EncodedMessage::Kind::kLogStream) continue;
    log_bytes += frames[i]->json.size();
    newest_log = i;
  }
  const size_t bound = gateway_->options().max_queued_log_bytes;
  if (log_bytes > bound) {
    // Down to half the bound, so the next compaction is that far away. The
    // newest lines are always kept.
    bool dropped = false;
    for (size_t i = 0; i < newest_log && log_bytes > bound / 2; ++i) {
      const Frame& frame = frames[i];
      if (frame->kind != EncodedMessage::Kind::kLogStream) continue;
      dropped_lines_[frame->log_key] += frame->log_lines;
      log_bytes -= frame->json.size();
      frames[i] = nullptr;
      dropped = true;
    }
    if (dropped) frames.erase(std::remove(frames.begin(), frames.end(), nullptr), frames.end());
  }
  queue_.clear();
  queued_messages_ = queued_bytes_ = queued_log_bytes_ = 0;
  for (Chunk& chunk : MakeChunks(frames)) {
    queued_messages_ += chunk->size();
    queued_bytes_ += chunk->body().size();
    queued_log_bytes_ += chunk->log_bytes;
    queue_.push_back(std::move(chunk));
  }
  compact_at_messages_ = std::max(kCompactAtLeast, 2 * queued_messages_);
}

void WebSocketSession::Flush() {
  in_flight_.clear();
  size_t messages = 0;
  while (!queue_.empty() && (in_flight_.empty() || messages + queue_.front()->size() <= kMaxBatchMessages)) {
    const Chunk& chunk = queue_.front();
    messages += chunk->size();
    queued_messages_ -= chunk->size();
    queued_bytes_ -= chunk->body().size();
    queued_log_bytes_ -= chunk->log_bytes;
    in_flight_.push_back(queue_.pop_front());
  }
  if (in_flight_.empty()) return;
  if (!dropped_lines_.empty()) TellDroppedLines();
  buffers_.clear();
  if (messages == 1) {
    const std::string_view body = in_flight_[0]->body();
    buffers_.push_back(net::buffer(body.data(), body.size()));
  } else {
    // {"type":"batch","messages":[m1,m2,...]}: canonical JSON of the batch,
    // gathered from the shared buffers without copying them.
    buffers_.reserve(in_flight_.size() * 2 + 1);
    buffers_.push_back(net::buffer(kBatchPrefix.data(), kBatchPrefix.size()));
    for (size_t i = 0; i < in_flight_.size(); ++i) {
      if (i > 0) buffers_.push_back(net::buffer(kComma.data(), kComma.size()));
      const std::string_view body = in_flight_[i]->body();
      buffers_.push_back(net::buffer(body.data(), body.size()));
    }
    buffers_.push_back(net::buffer(kBatchSuffix.data(), kBatchSuffix.size()));
  }
  writing_ = true;
  write_started_ = absl::Now();
  ws_.text(true);
  ws_.async_write(buffers_, [self = shared_from_this()](beast::error_code ec, std::size_t n) { self->OnWrite(ec, n); });
}

void WebSocketSession::TellDroppedLines() {
  for (Chunk& chunk : in_flight_) {
    std::vector<Frame> frames;  // a private copy, made only when it changes
    for (size_t i = 0; i < chunk->frames.size() && !dropped_lines_.empty(); ++i) {
      const Frame& frame = chunk->frames[i];
      if (frame->kind != EncodedMessage::Kind::kLogStream) continue;
      auto it = dropped_lines_.find(frame->log_key);
      if (it == dropped_lines_.end()) continue;
      if (frames.empty()) frames = chunk->frames;
      frames[i] = WithDroppedLines(frame, it->second);
      dropped_lines_.erase(it);
    }
    if (!frames.empty()) chunk = MakeChunks(frames).front();
  }
}

void WebSocketSession::ClearQueue() {
  queue_.clear();
  queued_messages_ = queued_bytes_ = queued_log_bytes_ = 0;
  compact_at_messages_ = kCompactAtLeast;
}

void WebSocketSession::OnWrite(beast::error_code ec, std::size_t) {
  writing_ = false;
  in_flight_.clear();
  if (ec) {
    // The read side notices too and runs OnClosed.
    ClearQueue();
    return;
  }
  if (!closing_) Flush();
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
  // What waits behind the write in flight is dropped: after a close frame
  // nothing may follow. One close may run beside one write.
  ClearQueue();
  ws_.async_close(websocket::close_reason(code, reason), [self = shared_from_this()](beast::error_code) {
    // The read loop ends with websocket::error::closed and runs OnClosed.
  });
}

void WebSocketSession::ArmHeartbeat() {
  heartbeat_timer_.expires_after(absl::ToChronoNanoseconds(gateway_->options().heartbeat_interval));
  heartbeat_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec || self->closing_ || self->closed_) return;
    if (self->writing_ && absl::Now() - self->write_started_ > self->gateway_->options().write_timeout) {
      log::Warn("conn=", self->id_, " has not taken a write for ",
                absl::FormatDuration(absl::Now() - self->write_started_), "; closing it");
      self->StartClose(websocket::close_code::try_again_later, "slow consumer: write timed out; resume to catch up");
      return;
    }
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
  *heartbeat->mutable_interval() = ToDuration(gateway_->options().heartbeat_interval);
  Reply(message);
}

void WebSocketSession::OnClosed() {
  if (closed_) return;
  closed_ = true;
  heartbeat_timer_.cancel();
  for (auto& [project, channel] : subscriptions_) channel->Unsubscribe(id_);
  subscriptions_.clear();
  ClearQueue();
  gateway_->RemoveSession(id_);
  log::Info("conn=", id_, " closed");
}

}  // namespace nanokit::gateway
