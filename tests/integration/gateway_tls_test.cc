// HTTPS and WSS on the gateway's one port, against the real process: a TLS
// client that trusts the test's CA gets /healthz and a live WebSocket; a
// plain-text client gets nothing in plain text; SIGHUP serves a renewed
// certificate to new connections while open ones stay up.

#include <csignal>
#include <filesystem>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/support/stack.h"
#include "tests/support/test_pki.h"

namespace nanokit::testing {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
namespace websocket = beast::websocket;
namespace v1 = nanokit::bridge::v1;
using tcp = net::ip::tcp;

// A TLS client of the gateway that verifies it like a browser would: the
// chain to the CA and the name (here the IP address 127.0.0.1).
class TlsClient {
 public:
  explicit TlsClient(const std::string& ca_file) : context_(ssl::context::tls_client) {
    context_.load_verify_file(ca_file);
    context_.set_verify_mode(ssl::verify_peer);
  }

  // Connects and completes the TLS handshake.
  absl::StatusOr<std::unique_ptr<ssl::stream<beast::tcp_stream>>> Connect(uint16_t port) {
    auto stream = std::make_unique<ssl::stream<beast::tcp_stream>>(ioc_, context_);
    stream->set_verify_callback(ssl::host_name_verification("127.0.0.1"));
    beast::get_lowest_layer(*stream).expires_after(std::chrono::seconds(5));
    beast::error_code ec;
    beast::get_lowest_layer(*stream).connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
    if (!ec) stream->handshake(ssl::stream_base::client, ec);
    if (ec) return absl::UnavailableError(absl::StrCat("TLS connect: ", ec.message()));
    return stream;
  }

  absl::StatusOr<std::string> Get(uint16_t port, const std::string& target) {
    auto stream = Connect(port);
    if (!stream.ok()) return stream.status();
    http::request<http::empty_body> request(http::verb::get, target, 11);
    request.set(http::field::host, "127.0.0.1");
    beast::error_code ec;
    http::write(**stream, request, ec);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    if (!ec) http::read(**stream, buffer, response, ec);
    if (ec) return absl::UnavailableError(absl::StrCat("HTTPS GET: ", ec.message()));
    return response.body();
  }

  // A WebSocket over TLS, subscribed to project; returns after the first
  // message (the snapshot).
  absl::StatusOr<std::unique_ptr<websocket::stream<ssl::stream<beast::tcp_stream>>>> Subscribe(
      uint16_t port, const std::string& token, const std::string& project) {
    auto stream = Connect(port);
    if (!stream.ok()) return stream.status();
    auto ws = std::make_unique<websocket::stream<ssl::stream<beast::tcp_stream>>>(std::move(**stream));
    beast::get_lowest_layer(*ws).expires_never();
    ws->set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    ws->set_option(websocket::stream_base::decorator([token](websocket::request_type& request) {
      request.set(http::field::sec_websocket_protocol, "nanokit.v1, nanokit.bearer." + token);
    }));
    beast::error_code ec;
    ws->handshake("127.0.0.1", "/ws", ec);
    if (!ec) ws->write(net::buffer(absl::StrCat("{\"type\":\"subscribe\",\"project\":\"", project, "\"}")), ec);
    if (ec) return absl::UnavailableError(absl::StrCat("WSS: ", ec.message()));
    auto first = Read(*ws);
    // A heartbeat may come first: the reply waits for the hub's state of
    // the project, the connection's heartbeats do not.
    while (first.ok() && first->type() == "heartbeat") first = Read(*ws);
    if (!first.ok()) return first.status();
    if (first->type() != "snapshot") return absl::InternalError("first message: " + first->type());
    return ws;
  }

  static absl::StatusOr<v1::ServerMessage> Read(websocket::stream<ssl::stream<beast::tcp_stream>>& ws) {
    beast::flat_buffer buffer;
    beast::error_code ec;
    ws.read(buffer, ec);
    if (ec) return absl::UnavailableError(absl::StrCat("WSS read: ", ec.message()));
    v1::ServerMessage message;
    if (!google::protobuf::util::JsonStringToMessage(beast::buffers_to_string(buffer.data()), &message).ok()) {
      return absl::InternalError("not a ServerMessage");
    }
    return message;
  }

 private:
  net::io_context ioc_;
  ssl::context context_;
};

class GatewayTlsTest : public TwoCaTest {
 protected:
  void SetUp() override {
    TwoCaTest::SetUp();
    if (HasFatalFailure()) return;
    cert_ = stack_.dir().File("gateway.pem");
    key_ = stack_.dir().File("gateway-key.pem");
    std::filesystem::copy_file(pki_.server_cert, cert_);
    std::filesystem::copy_file(pki_.server_key, key_);
    ASSERT_TRUE(stack_.StartHub().ok());
    ASSERT_TRUE(stack_.StartGateway({"--tls-cert", cert_, "--tls-key", key_, "--heartbeat-interval", "200ms"}).ok());
  }

  std::string cert_;
  std::string key_;
};

TEST_F(GatewayTlsTest, HttpsAndWssServeAVerifyingClient) {
  TlsClient client(pki_.ca_cert);
  auto health = client.Get(stack_.gateway_port(), "/healthz");
  ASSERT_TRUE(health.ok()) << health.status() << "\n" << stack_.GatewayLog();
  EXPECT_NE(health->find("\"status\":\"ok\""), std::string::npos) << *health;

  auto ws = client.Subscribe(stack_.gateway_port(), stack_.token(), "shop");
  ASSERT_TRUE(ws.ok()) << ws.status() << "\n" << stack_.GatewayLog();
  auto emitted = stack_.Nanokit({"emit", "status", "--project", "shop", "--resource", "web", "--status", "HEALTHY"});
  ASSERT_EQ(emitted.exit_code, 0) << emitted.err;
  auto is_web = [](const v1::ServerMessage& m) {
    return m.type() == "status_update" && m.status_update().resource_id() == "web";
  };
  bool seen = false;
  for (int i = 0; i < 50 && !seen; ++i) {
    auto message = TlsClient::Read(**ws);
    ASSERT_TRUE(message.ok()) << message.status();
    // Several messages written together arrive as one "batch".
    seen = is_web(*message) || std::any_of(message->messages().begin(), message->messages().end(), is_web);
  }
  EXPECT_TRUE(seen);
}

TEST_F(GatewayTlsTest, NothingIsAnsweredInPlainTextOnATlsPort) {
  auto plain = HttpGet(stack_.gateway_port(), "/healthz");
  EXPECT_FALSE(plain.ok() && plain->status != 0) << "a plain-text request got HTTP " << plain->status;
  WsClient ws;
  WsConnectOptions options;
  options.token = stack_.token();
  EXPECT_FALSE(ws.Connect("127.0.0.1", stack_.gateway_port(), options).ok());
  // A client that trusts another CA fails the handshake too.
  TlsClient stranger(other_.ca_cert);
  EXPECT_FALSE(stranger.Get(stack_.gateway_port(), "/healthz").ok());
  // The gateway is still serving.
  EXPECT_TRUE(TlsClient(pki_.ca_cert).Get(stack_.gateway_port(), "/healthz").ok());
}

TEST_F(GatewayTlsTest, SighupServesARenewedCertificateToNewConnectionsAndKeepsOpenOnes) {
  TlsClient old_trust(pki_.ca_cert), new_trust(other_.ca_cert);
  auto open = old_trust.Subscribe(stack_.gateway_port(), stack_.token(), "shop");
  ASSERT_TRUE(open.ok()) << open.status();
  ASSERT_FALSE(new_trust.Get(stack_.gateway_port(), "/healthz").ok());

  std::filesystem::copy_file(other_.server_cert, cert_, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(other_.server_key, key_, std::filesystem::copy_options::overwrite_existing);
  stack_.gateway()->Signal(SIGHUP);
  bool renewed = false;
  for (int i = 0; i < 50 && !renewed; ++i) {
    renewed = new_trust.Get(stack_.gateway_port(), "/healthz").ok();
    if (!renewed) absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_TRUE(renewed) << stack_.GatewayLog();
  EXPECT_FALSE(old_trust.Get(stack_.gateway_port(), "/healthz").ok()) << "new connections get the new pair";
  // The connection opened before the reload is still live: heartbeats keep
  // coming on it.
  auto heartbeat = TlsClient::Read(**open);
  ASSERT_TRUE(heartbeat.ok()) << heartbeat.status();
  EXPECT_TRUE(heartbeat->type() == "heartbeat" ||
              (heartbeat->type() == "batch" && heartbeat->messages_size() > 0 &&
               heartbeat->messages(0).type() == "heartbeat"))
      << heartbeat->type();

  // A broken pair on the next SIGHUP is refused and the good one stays.
  std::filesystem::copy_file(pki_.server_key, key_, std::filesystem::copy_options::overwrite_existing);
  stack_.gateway()->Signal(SIGHUP);
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_TRUE(new_trust.Get(stack_.gateway_port(), "/healthz").ok());
  EXPECT_NE(stack_.GatewayLog().find("the previous certificate stays in use"), std::string::npos)
      << stack_.GatewayLog();
}

TEST_F(GatewayTlsTest, ACertificateWithoutItsKeyIsAClearErrorAtStart) {
  auto result = RunCommand(GatewayBinary(),
                           {"--listen", "127.0.0.1:0", "--token-file", stack_.token_file(), "--tls-cert",
                            pki_.server_cert, "--tls-key", other_.server_key},
                           stack_.dir().path(), absl::Seconds(10));
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find("--tls-key"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("it must be the key of the certificate"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace nanokit::testing
