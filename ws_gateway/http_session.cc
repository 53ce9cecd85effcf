#include "ws_gateway/http_session.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/websocket.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "ws_gateway/gateway.h"
#include "ws_gateway/sign_in_endpoints.h"
#include "ws_gateway/upgrade_policy.h"
#include "ws_gateway/websocket_session.h"

namespace nanokit::gateway {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

namespace {

constexpr auto kRequestTimeout = std::chrono::seconds(15);

template <class Stream>
Stream MakeStream(Socket&& socket, net::ssl::context* tls) {
  if constexpr (std::is_same_v<Stream, TlsStream>) {
    return Stream(std::move(socket), *tls);
  } else {
    return Stream(std::move(socket));
  }
}

}  // namespace

template <class Stream>
HttpSession<Stream>::HttpSession(Socket&& socket, Gateway* gateway, size_t shard,
                                 std::shared_ptr<net::ssl::context> tls)
    : tls_(std::move(tls)),
      stream_(MakeStream<Stream>(std::move(socket), tls_.get())),
      gateway_(gateway),
      id_(gateway->NextConnectionId()),
      shard_(shard) {}

template <class Stream>
void HttpSession<Stream>::Run() {
  net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      // The handshake is bounded like a request: a client that connects and
      // says nothing is dropped.
      beast::get_lowest_layer(self->stream_).expires_after(kRequestTimeout);
      self->stream_.async_handshake(net::ssl::stream_base::server,
                                    [self](beast::error_code ec) { self->OnHandshake(ec); });
    } else {
      self->DoRead();
    }
  });
}

template <class Stream>
void HttpSession<Stream>::OnHandshake(beast::error_code ec) {
  if (ec) {
    // A plain-text client on the TLS port ends here: nothing is answered
    // in plain text. The reason is OpenSSL's, never a byte of the peer's.
    log::Info("conn=", id_, " TLS handshake failed: ", ec.message());
    return;
  }
  DoRead();
}

template <class Stream>
void HttpSession<Stream>::DoRead() {
  parser_.emplace();
  parser_->header_limit(16 * 1024);
  parser_->body_limit(16 * 1024);
  beast::get_lowest_layer(stream_).expires_after(kRequestTimeout);
  http::async_read(stream_, buffer_, *parser_,
                   [self = this->shared_from_this()](beast::error_code ec, std::size_t bytes) {
                     self->OnRead(ec, bytes);
                   });
}

template <class Stream>
void HttpSession<Stream>::OnRead(beast::error_code ec, std::size_t) {
  if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == net::error::operation_aborted) {
    beast::get_lowest_layer(stream_).socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
    return;
  }
  if (ec) {
    log::Warn("conn=", id_, " bad HTTP request: ", ec.message());
    Respond(http::status::bad_request, absl::StrCat("bad request: ", ec.message(), "\n"), "text/plain", false);
    return;
  }
  HandleRequest(parser_->release());
}

template <class Stream>
void HttpSession<Stream>::HandleRequest(http::request<http::string_body>&& request) {
  const std::string target(request.target());
  const std::string path = target.substr(0, target.find('?'));
  const bool keep_alive = request.keep_alive();

  if (path == "/healthz") {
    // Tells a dashboard whether it needs a token and, when it sent one in an
    // Authorization header, whether it is the right one (so a page can say
    // so instead of reconnecting forever). The token itself is never echoed.
    const auth::AccessControl& access = *gateway_->options().access;
    const absl::string_view authorization = HeaderValue(request, http::field::authorization);
    std::string body = absl::StrCat("{\"status\":\"ok\",\"hubConnected\":", gateway_->HubConnected() ? "true" : "false",
                                    ",\"authRequired\":", access.enabled() ? "true" : "false",
                                    ",\"signIn\":", gateway_->options().sign_in ? "\"oidc\"" : "null",
                                    ",\"heartbeatIntervalMs\":",
                                    absl::ToInt64Milliseconds(gateway_->options().heartbeat_interval));
    if (access.enabled() && !authorization.empty()) {
      absl::StrAppend(&body, ",\"authorized\":", access.AuthenticateBearer(authorization).ok() ? "true" : "false");
    }
    body += "}\n";
    Respond(http::status::ok, std::move(body), "application/json", keep_alive);
    return;
  }
  if (path == "/readyz") {
    // For load balancers and orchestrators: 200 only when dashboards would
    // get what they came for. /healthz answers while the process lives.
    std::string not_ready;
    if (!gateway_->HubConnected()) {
      not_ready = "the hub cannot be reached";
    } else if (gateway_->options().static_files == nullptr) {
      not_ready = "no dashboard files (--static-dir)";
    }
    if (not_ready.empty()) {
      Respond(http::status::ok, "{\"ready\":true}\n", "application/json", keep_alive);
    } else {
      Respond(http::status::service_unavailable, absl::StrCat("{\"ready\":false,\"reason\":\"", not_ready, "\"}\n"),
              "application/json", keep_alive);
    }
    return;
  }
  if (absl::StartsWith(path, kSignInPathPrefix)) {
    HandleSignIn(request);
    return;
  }
  if (path != "/ws") {
    RespondStatic(request, path, keep_alive);
    return;
  }
  if (!beast::websocket::is_upgrade(request)) {
    Respond(http::status::upgrade_required, "/ws speaks WebSocket (subprotocol nanokit.v1) only\n", "text/plain",
            false);
    return;
  }
  HandleUpgrade(std::move(request), false);
}

template <class Stream>
void HttpSession<Stream>::HandleSignIn(const http::request<http::string_body>& request) {
  SignInResult result =
      gateway::HandleSignIn(request, {gateway_->options().sign_in.get(), &gateway_->options().allowed_origins, id_});
  if (auto* response = std::get_if<HttpResponse>(&result)) {
    WriteResponse(std::move(*response));
    return;
  }
  // The callback talks to the provider: off this shard, then back.
  beast::get_lowest_layer(stream_).expires_after(kRequestTimeout);
  gateway_->Offload([self = this->shared_from_this(), executor = stream_.get_executor(),
                     finish = std::get<std::function<HttpResponse()>>(std::move(result))] {
    net::post(executor, [self, response = finish()]() mutable { self->WriteResponse(std::move(response)); });
  });
}

template <class Stream>
void HttpSession<Stream>::HandleUpgrade(http::request<http::string_body>&& request, bool refreshed) {
  const GatewayOptions& options = gateway_->options();
  UpgradeRequest upgrade{HeaderValue(request, http::field::host), HeaderValue(request, http::field::origin),
                         HeaderValue(request, http::field::authorization),
                         HeaderValue(request, http::field::sec_websocket_protocol), HeaderValue(request, http::field::cookie)};
  UpgradeDecision decision = DecideUpgrade(upgrade, *options.access, options.allowed_origins,
                                           options.sign_in ? options.sign_in->public_origin() : "");
  if (decision.unknown_signing_key && !refreshed) {
    beast::get_lowest_layer(stream_).expires_after(kRequestTimeout);
    // std::function needs a copyable callable: the request rides in a shared_ptr.
    auto held = std::make_shared<http::request<http::string_body>>(std::move(request));
    gateway_->RefreshKeysThen(stream_.get_executor(), [self = this->shared_from_this(), held] {
      self->HandleUpgrade(std::move(*held), true);
    });
    return;
  }
  if (!decision.accepted()) {
    if (!decision.auth_failure.empty()) gateway_->metrics().auth_failures.Add(decision.auth_failure);
    // Logs name the peer and the reason, never a header's value.
    beast::error_code ignored;
    auto peer = beast::get_lowest_layer(stream_).socket().remote_endpoint(ignored);
    log::Warn("conn=", id_, " from ", peer.address().to_string(), " refused (", decision.http_status,
              "): ", decision.reason);
    Respond(static_cast<http::status>(decision.http_status), decision.reason + "\n", "text/plain", false);
    return;
  }
  beast::get_lowest_layer(stream_).expires_never();
  auto layer = [this]() -> WebSocketLayer<Stream> {
    if constexpr (std::is_same_v<Stream, TcpStream>) {
      return FrameBoundedSocket(stream_.release_socket());
    } else {
      return std::move(stream_);
    }
  };
  std::make_shared<WebSocketSession<Stream>>(layer(), gateway_, id_, shard_, tls_)
      ->Run(std::move(request), *std::move(decision.identity));
}

template <class Stream>
void HttpSession<Stream>::WriteResponse(http::response<http::string_body>&& response) {
  const bool keep_alive = response.keep_alive();
  response_ = std::make_shared<http::response<http::string_body>>(std::move(response));
  DoWrite(keep_alive);
}

template <class Stream>
void HttpSession<Stream>::RespondStatic(const http::request<http::string_body>& request, const std::string& path,
                                bool keep_alive) {
  const StaticFiles* files = gateway_->options().static_files.get();
  const StaticFile* file = files ? files->Find(path) : nullptr;
  if (file == nullptr) {
    Respond(http::status::not_found,
            files || path != "/" ? "not found\n"
                                 : "this gateway serves no dashboard: none was found next to its executable; "
                                   "start it with --static-dir DIR\n",
            "text/plain", keep_alive);
    return;
  }
  const bool head = request.method() == http::verb::head;
  if (!head && request.method() != http::verb::get) {
    Respond(http::status::method_not_allowed, "GET only\n", "text/plain", keep_alive);
    return;
  }
  PrepareResponse(http::status::ok, head ? std::string() : file->body, file->content_type.c_str(), keep_alive);
  if (head) response_->content_length(file->body.size());
  // The page talks only to this gateway and loads nothing from elsewhere;
  // the token lives in the URL fragment, which no request carries.
  response_->set("Content-Security-Policy",
                 "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; frame-ancestors 'none'");
  response_->set("X-Content-Type-Options", "nosniff");
  response_->set("Referrer-Policy", "no-referrer");
  DoWrite(keep_alive);
}

template <class Stream>
void HttpSession<Stream>::Respond(http::status status, std::string body, const char* content_type, bool keep_alive) {
  PrepareResponse(status, std::move(body), content_type, keep_alive);
  DoWrite(keep_alive);
}

template <class Stream>
void HttpSession<Stream>::PrepareResponse(http::status status, std::string body, const char* content_type, bool keep_alive) {
  response_ = std::make_shared<HttpResponse>(MakeResponse(status, std::move(body), content_type, 11, keep_alive));
}

template <class Stream>
void HttpSession<Stream>::DoWrite(bool keep_alive) {
  http::async_write(stream_, *response_,
                    [self = this->shared_from_this(), keep_alive](beast::error_code ec, std::size_t n) {
                      self->OnWrite(keep_alive, ec, n);
                    });
}

template <class Stream>
void HttpSession<Stream>::OnWrite(bool keep_alive, beast::error_code ec, std::size_t) {
  if (ec) return;
  if (!keep_alive) {
    beast::get_lowest_layer(stream_).socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
    return;
  }
  response_.reset();
  DoRead();
}

template class HttpSession<TcpStream>;
template class HttpSession<TlsStream>;

}  // namespace nanokit::gateway
