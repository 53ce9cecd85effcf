#include "tests/support/ws_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <google/protobuf/util/json_util.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "protocol/server_message.h"

namespace nanokit::testing {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace v1 = nanokit::bridge::v1;

WsClient::WsClient() : ws_(ioc_) {}

WsClient::~WsClient() { Close(); }

bool WsClient::RunUntil(const bool& done, absl::Duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(timeout);
  ioc_.restart();
  while (!done) {
    if (ioc_.run_one_until(deadline) == 0) {
      if (std::chrono::steady_clock::now() >= deadline) break;
      ioc_.restart();
    }
  }
  return done;
}

absl::Status WsClient::Connect(const std::string& host, uint16_t port, const WsConnectOptions& options) {
  bool done = false;
  beast::error_code ec;
  auto& tcp = beast::get_lowest_layer(ws_);
  tcp.async_connect(net::ip::tcp::endpoint(net::ip::make_address(host), port), [&](beast::error_code e) {
    ec = e;
    done = true;
  });
  if (!RunUntil(done, options.timeout)) return absl::DeadlineExceededError("connect timed out");
  if (ec) return absl::UnavailableError(absl::StrCat("connect: ", ec.message()));

  std::vector<std::string> protocols = options.subprotocols;
  if (!options.token.empty() && !options.token_in_header) protocols.push_back("nanokit.bearer." + options.token);
  ws_.set_option(websocket::stream_base::decorator([options, protocols](websocket::request_type& request) {
    if (!protocols.empty()) request.set(http::field::sec_websocket_protocol, absl::StrJoin(protocols, ", "));
    if (!options.origin.empty()) request.set(http::field::origin, options.origin);
    if (options.token_in_header) request.set(http::field::authorization, "Bearer " + options.token);
  }));
  ws_.read_message_max(256 * 1024 * 1024);
  websocket::response_type response;
  done = false;
  ws_.async_handshake(response, absl::StrCat(host, ":", port), options.path, [&](beast::error_code e) {
    ec = e;
    done = true;
  });
  if (!RunUntil(done, options.timeout)) return absl::DeadlineExceededError("handshake timed out");
  if (ec) {
    refused_status_ = static_cast<int>(response.result_int());
    refused_body_ = response.body();
    return absl::PermissionDeniedError(absl::StrCat("handshake refused: HTTP ", refused_status_, " ", ec.message()));
  }
  subprotocol_ = std::string(response[http::field::sec_websocket_protocol]);
  open_ = true;
  return absl::OkStatus();
}

absl::Status WsClient::Write(const std::string& payload, bool binary, absl::Duration timeout) {
  bool done = false;
  beast::error_code ec;
  ws_.binary(binary);
  ws_.async_write(net::buffer(payload), [&](beast::error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  if (!RunUntil(done, timeout)) return absl::DeadlineExceededError("write timed out");
  if (ec) return absl::UnavailableError(absl::StrCat("write: ", ec.message()));
  return absl::OkStatus();
}

absl::Status WsClient::SendText(const std::string& text, absl::Duration timeout) { return Write(text, false, timeout); }

absl::Status WsClient::SendBinary(const std::string& bytes, absl::Duration timeout) {
  return Write(bytes, true, timeout);
}

absl::Status WsClient::Send(const v1::ClientMessage& message) { return SendText(ToJson(message)); }

namespace {

// One masked client frame (RFC 6455 section 5.2); payloads under 64 KiB.
std::string MaskedFrame(bool fin, uint8_t opcode, std::string_view payload) {
  std::string frame;
  frame.push_back(static_cast<char>((fin ? 0x80 : 0) | opcode));
  if (payload.size() < 126) {
    frame.push_back(static_cast<char>(0x80 | payload.size()));
  } else {
    frame.push_back(static_cast<char>(0x80 | 126));
    frame.push_back(static_cast<char>(payload.size() >> 8));
    frame.push_back(static_cast<char>(payload.size() & 0xff));
  }
  const char mask[4] = {0x0a, 0x1b, 0x2c, 0x3d};
  frame.append(mask, sizeof(mask));
  for (size_t i = 0; i < payload.size(); ++i) frame.push_back(static_cast<char>(payload[i] ^ mask[i % 4]));
  return frame;
}

}  // namespace

absl::Status WsClient::SendTextsTogether(const std::vector<std::string>& texts, bool fragmented) {
  std::string bytes;
  for (const std::string& text : texts) {
    if (fragmented && text.size() > 1) {
      const size_t half = text.size() / 2;
      bytes += MaskedFrame(false, 0x1, std::string_view(text).substr(0, half));
      bytes += MaskedFrame(true, 0x0, std::string_view(text).substr(half));
    } else {
      bytes += MaskedFrame(true, 0x1, text);
    }
  }
  bool done = false;
  beast::error_code ec;
  net::async_write(ws_.next_layer(), net::buffer(bytes), [&](beast::error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  if (!RunUntil(done, absl::Seconds(5))) return absl::DeadlineExceededError("write timed out");
  if (ec) return absl::UnavailableError(absl::StrCat("write: ", ec.message()));
  return absl::OkStatus();
}

absl::StatusOr<std::string> WsClient::Read(absl::Duration timeout) {
  if (!read_pending_) {
    read_pending_ = true;
    read_done_ = false;
    ws_.async_read(buffer_, [this](beast::error_code e, std::size_t) {
      read_ec_ = e;
      read_done_ = true;
    });
  }
  if (!RunUntil(read_done_, timeout)) return absl::DeadlineExceededError("no message in time");
  read_pending_ = false;
  if (read_ec_) {
    open_ = false;
    // The close frame may have arrived even when tearing down the TCP
    // connection afterwards failed.
    if (ws_.reason().code != websocket::close_code::none) {
      close_code_ = ws_.reason().code;
      close_reason_ = std::string(ws_.reason().reason.c_str());
    }
    return absl::UnavailableError(absl::StrCat("read: ", read_ec_.message()));
  }
  std::string text = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  return text;
}

absl::StatusOr<v1::ServerMessage> WsClient::ReadMessage(absl::Duration timeout) {
  if (!unbatched_.empty()) {
    v1::ServerMessage next = std::move(unbatched_.front());
    unbatched_.pop_front();
    return next;
  }
  auto text = Read(timeout);
  if (!text.ok()) return text.status();
  ++frames_;
  v1::ServerMessage message;
  // Strict: an unknown field would mean the server wrote outside the schema.
  auto status = google::protobuf::util::JsonStringToMessage(*text, &message);
  if (!status.ok()) {
    return absl::DataLossError(absl::StrCat("not a ServerMessage: ", status.message().as_string(), ": ", *text));
  }
  if (message.type() != "batch") return message;
  ++batches_;
  batched_messages_ += message.messages_size();
  if (message.messages_size() == 0) return absl::DataLossError("an empty batch");
  for (auto& inner : *message.mutable_messages()) unbatched_.push_back(std::move(inner));
  return ReadMessage(timeout);
}

absl::StatusOr<v1::ServerMessage> WsClient::ReadUntil(const std::function<bool(const v1::ServerMessage&)>& pred,
                                                      absl::Duration timeout,
                                                      const std::function<void(const v1::ServerMessage&)>& seen) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return absl::DeadlineExceededError("no matching message in time");
    auto message = ReadMessage(left);
    if (!message.ok()) return message.status();
    if (pred(*message)) return message;
    if (seen) seen(*message);
  }
}

void WsClient::Close() {
  if (!open_) return;
  open_ = false;
  bool done = false;
  ws_.async_close(websocket::close_code::normal, [&](beast::error_code) { done = true; });
  RunUntil(done, absl::Seconds(2));
  beast::error_code ec;
  beast::get_lowest_layer(ws_).socket().close(ec);
  // Let a pending read complete with the closed socket.
  ioc_.restart();
  ioc_.poll();
}

}  // namespace nanokit::testing

namespace nanokit::testing {

v1::ClientMessage SubscribeMessage(const std::string& project, const std::string& epoch, uint64_t after_seq) {
  v1::ClientMessage message;
  message.set_type("subscribe");
  message.set_project(project);
  message.set_epoch(epoch);
  message.set_after_seq(after_seq);
  return message;
}

absl::StatusOr<HttpResult> HttpGet(uint16_t port, const std::string& path, const std::string& raw_request) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(std::chrono::seconds(5));
  beast::error_code ec;
  stream.async_connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port),
                       [&](beast::error_code e) { ec = e; });
  ioc.run();
  if (ec) return absl::UnavailableError(absl::StrCat("connect: ", ec.message()));
  ioc.restart();
  std::string request = raw_request.empty()
                            ? absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: 127.0.0.1:", port, "\r\nConnection: close\r\n\r\n")
                            : raw_request;
  net::async_write(stream, net::buffer(request), [&](beast::error_code e, std::size_t) { ec = e; });
  ioc.run();
  if (ec) return absl::UnavailableError(absl::StrCat("write: ", ec.message()));
  ioc.restart();
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::async_read(stream, buffer, response, [&](beast::error_code e, std::size_t) { ec = e; });
  ioc.run();
  if (ec) return absl::UnavailableError(absl::StrCat("read: ", ec.message()));
  HttpResult result{static_cast<int>(response.result_int()), response.body(), {}};
  for (const auto& field : response) {
    result.headers[absl::AsciiStrToLower(absl::string_view(field.name_string().data(), field.name_string().size()))] =
        std::string(field.value());
  }
  return result;
}

}  // namespace nanokit::testing
