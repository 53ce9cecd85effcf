#pragma once
// A real WebSocket client for tests, on Beast. Every call has a timeout; a
// read that times out stays pending and the next Read continues it.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nanokit/bridge/v1/websocket.pb.h"

namespace nanokit::testing {

struct WsConnectOptions {
  std::string path = "/ws";
  // Offered as the subprotocol nanokit.bearer.<token>, or sent as
  // Authorization: Bearer when token_in_header.
  std::string token = {};
  bool token_in_header = false;
  std::vector<std::string> subprotocols = {"nanokit.v1"};
  std::string origin = {};
  absl::Duration timeout = absl::Seconds(5);
};

class WsClient {
 public:
  WsClient();
  ~WsClient();

  absl::Status Connect(const std::string& host, uint16_t port, const WsConnectOptions& options = {});
  // After a refused Connect: the HTTP status (401, 403...) and body.
  int refused_status() const { return refused_status_; }
  const std::string& refused_body() const { return refused_body_; }
  std::string negotiated_subprotocol() const { return subprotocol_; }

  absl::Status SendText(const std::string& text, absl::Duration timeout = absl::Seconds(5));
  absl::Status SendBinary(const std::string& bytes, absl::Duration timeout = absl::Seconds(5));
  absl::Status Send(const bridge::v1::ClientMessage& message);
  // Several text messages in one TCP write, as raw masked frames, so that
  // they reach the server together; with fragmented, each message goes as
  // two frames (a first fragment and its continuation).
  absl::Status SendTextsTogether(const std::vector<std::string>& texts, bool fragmented = false);

  // The next frame's text. DeadlineExceeded on timeout; another error once
  // the connection is closed (see close_code()).
  absl::StatusOr<std::string> Read(absl::Duration timeout = absl::Seconds(5));
  // The next message, parsed as a ServerMessage with protobuf's JSON
  // parser. A "batch" frame is returned message by message.
  absl::StatusOr<bridge::v1::ServerMessage> ReadMessage(absl::Duration timeout = absl::Seconds(5));
  // Frames read so far, and how many of them were batches of how many
  // messages in all.
  int frames() const { return frames_; }
  int batches() const { return batches_; }
  int batched_messages() const { return batched_messages_; }
  // Reads until a message satisfies pred; the others are passed to seen.
  absl::StatusOr<bridge::v1::ServerMessage> ReadUntil(
      const std::function<bool(const bridge::v1::ServerMessage&)>& pred, absl::Duration timeout,
      const std::function<void(const bridge::v1::ServerMessage&)>& seen = nullptr);

  // The close code the server sent, once a Read has failed with closed.
  std::optional<int> close_code() const { return close_code_; }
  std::string close_reason() const { return close_reason_; }

  void Close();

 private:
  bool RunUntil(const bool& done, absl::Duration timeout);
  absl::Status Write(const std::string& payload, bool binary, absl::Duration timeout);

  boost::asio::io_context ioc_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
  bool read_pending_ = false;
  bool read_done_ = false;
  boost::beast::error_code read_ec_;
  int refused_status_ = 0;
  std::string refused_body_;
  std::string subprotocol_;
  std::optional<int> close_code_;
  std::string close_reason_;
  bool open_ = false;
  std::deque<bridge::v1::ServerMessage> unbatched_;
  int frames_ = 0;
  int batches_ = 0;
  int batched_messages_ = 0;
};

}  // namespace nanokit::testing

namespace nanokit::testing {

// {"type":"subscribe","project":…,"epoch":…,"afterSeq":…}
bridge::v1::ClientMessage SubscribeMessage(const std::string& project, const std::string& epoch = "",
                                           uint64_t after_seq = 0);

struct HttpResult {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names in lower case
};
// A plain HTTP/1.1 GET to 127.0.0.1:port, or raw bytes when raw_request is set.
absl::StatusOr<HttpResult> HttpGet(uint16_t port, const std::string& path, const std::string& raw_request = "");

}  // namespace nanokit::testing
