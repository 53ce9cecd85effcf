#pragma once
// One dashboard connection on /ws. Owns its socket and keeps itself alive
// with shared_from_this; every handler runs on the connection's strand. It
// reads ClientMessages, subscribes to ProjectChannels, and writes the shared
// frames they send from a bounded queue, one write in flight at a time.

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "nanokit/bridge/v1/websocket.pb.h"
#include "ws_gateway/project_channel.h"
#include "ws_gateway/subscriber.h"

namespace nanokit::gateway {

class Gateway;

class WebSocketSession : public std::enable_shared_from_this<WebSocketSession>, public Subscriber {
 public:
  WebSocketSession(boost::asio::ip::tcp::socket&& socket, Gateway* gateway, uint64_t id);
  ~WebSocketSession() override;

  // Completes the upgrade of an already-checked request.
  void Run(boost::beast::http::request<boost::beast::http::string_body> request);

  uint64_t id() const override { return id_; }
  using Subscriber::Send;
  // Thread-safe.
  void Send(FrameGroup frames) override;
  // Thread-safe: closes the WebSocket with this code and reason.
  void Close(boost::beast::websocket::close_code code, std::string reason);

 private:
  void OnAccept(boost::beast::error_code ec);
  void DoRead();
  void OnRead(boost::beast::error_code ec, std::size_t bytes);
  void HandleMessage(const std::string& text);
  void Subscribe(const bridge::v1::ClientMessage& message);
  void Unsubscribe(const std::string& project);
  void Reply(const bridge::v1::ServerMessage& message);
  // Takes everything other threads handed over since the last call.
  void DrainInbox();
  void Enqueue(const std::vector<Frame>& frames);
  // After frames were queued: closes a connection past its bounds, or
  // starts a write if none is in flight.
  void AfterEnqueue();
  void EnqueueOne(const Frame& frame);
  void DropOldestLogs();
  // Sends everything waiting: one message alone, several as one "batch"
  // frame written straight from the shared buffers.
  void Flush();
  void OnWrite(boost::beast::error_code ec, std::size_t bytes);
  void StartClose(boost::beast::websocket::close_code code, std::string reason);
  void ArmHeartbeat();
  void SendHeartbeat();
  // The connection is over: leave every channel and the gateway.
  void OnClosed();

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
  boost::asio::steady_timer heartbeat_timer_;
  Gateway* const gateway_;
  const uint64_t id_;
  std::string peer_;

  // Everything below is touched on the strand only.
  //
  // What waits for the socket, in order. A slot whose message was
  // superseded (a newer status of the same resource, a newer heartbeat) or
  // dropped (old log lines past the bound) is null. Element pointers stay
  // valid while pushing at the back, so latest_ and log_slots_ point into it.
  // Frames handed over by project channels (any thread), waiting for this
  // session's strand. One drain is posted when it becomes non-empty, not one
  // handler per hub batch: with a thousand connections and a fast core that
  // would be millions of handlers a second, queued before any conflation.
  absl::Mutex inbox_mu_;
  std::vector<FrameGroup> inbox_ ABSL_GUARDED_BY(inbox_mu_);
  std::deque<Frame> queue_;
  size_t queued_bytes_ = 0;
  size_t queued_log_bytes_ = 0;
  absl::flat_hash_map<std::string, Frame*> latest_;
  std::deque<Frame*> log_slots_;
  // Log lines dropped per resource, told in its next log_stream.
  absl::flat_hash_map<std::string, uint64_t> dropped_lines_;
  std::vector<Frame> in_flight_;
  std::vector<boost::asio::const_buffer> buffers_;
  absl::Time write_started_;
  bool writing_ = false;
  bool closing_ = false;
  bool closed_ = false;
  absl::flat_hash_map<std::string, std::shared_ptr<ProjectChannel>> subscriptions_;
};

}  // namespace nanokit::gateway
