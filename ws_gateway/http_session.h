#pragma once
// One HTTP connection before any upgrade: answers /healthz, serves the
// dashboard's files, refuses what it must (401, 403, 404...), and hands an
// accepted /ws upgrade to a WebSocketSession. Over TLS (Stream = TlsStream)
// it first completes the handshake.

#include <memory>
#include <optional>

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "ws_gateway/stream.h"

namespace nanokit::gateway {

class Gateway;

template <class Stream>
class HttpSession : public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  // socket's executor is the io_context of the given shard; tls is set for
  // a TlsStream only.
  HttpSession(Socket&& socket, Gateway* gateway, size_t shard,
              std::shared_ptr<boost::asio::ssl::context> tls = nullptr);
  void Run();

 private:
  void OnHandshake(boost::beast::error_code ec);
  void DoRead();
  void OnRead(boost::beast::error_code ec, std::size_t bytes);
  void HandleRequest(boost::beast::http::request<boost::beast::http::string_body>&& request);
  void HandleSignIn(const boost::beast::http::request<boost::beast::http::string_body>& request);
  // refreshed: the provider's keys were fetched again for this request.
  void HandleUpgrade(boost::beast::http::request<boost::beast::http::string_body>&& request, bool refreshed);
  void WriteResponse(boost::beast::http::response<boost::beast::http::string_body>&& response);
  void RespondStatic(const boost::beast::http::request<boost::beast::http::string_body>& request,
                     const std::string& path, bool keep_alive);
  void Respond(boost::beast::http::status status, std::string body, const char* content_type, bool keep_alive);
  void PrepareResponse(boost::beast::http::status status, std::string body, const char* content_type,
                       bool keep_alive);
  void DoWrite(bool keep_alive);
  void OnWrite(bool keep_alive, boost::beast::error_code ec, std::size_t bytes);

  // Kept alive for the connection's TLS state (null in plain text).
  const std::shared_ptr<boost::asio::ssl::context> tls_;
  Stream stream_;
  boost::beast::flat_buffer buffer_;
  Gateway* const gateway_;
  const uint64_t id_;
  const size_t shard_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::shared_ptr<boost::beast::http::response<boost::beast::http::string_body>> response_;
};

extern template class HttpSession<TcpStream>;
extern template class HttpSession<TlsStream>;

}  // namespace nanokit::gateway
