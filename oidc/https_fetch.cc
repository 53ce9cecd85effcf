#include "oidc/https_fetch.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"

namespace nanokit::oidc {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

absl::StatusOr<Url> ParseUrl(const std::string& url) {
  Url out;
  absl::string_view rest = url;
  if (absl::ConsumePrefix(&rest, "https://")) {
    out.https = true;
  } else if (absl::ConsumePrefix(&rest, "http://")) {
    out.https = false;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("not an http(s) URL: ", url));
  }
  const size_t slash = rest.find_first_of("/?#");
  absl::string_view authority = rest.substr(0, slash);
  absl::string_view target = slash == absl::string_view::npos ? "/" : rest.substr(slash);
  if (absl::StrContains(authority, '@')) return absl::InvalidArgumentError("a URL with credentials is not accepted");
  target = target.substr(0, target.find('#'));
  if (target.empty() || target[0] == '?') out.target = absl::StrCat("/", target);
  else out.target = std::string(target);
  absl::string_view port;
  if (absl::StartsWith(authority, "[")) {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) return absl::InvalidArgumentError(absl::StrCat("bad host in ", url));
    out.host = std::string(authority.substr(1, close - 1));
    absl::string_view after = authority.substr(close + 1);
    if (!after.empty() && !absl::ConsumePrefix(&after, ":")) {
      return absl::InvalidArgumentError(absl::StrCat("bad host in ", url));
    }
    port = after;
  } else {
    const size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != absl::string_view::npos) port = authority.substr(colon + 1);
  }
  uint32_t number = 0;
  if (out.host.empty()) return absl::InvalidArgumentError(absl::StrCat("no host in ", url));
  if (!port.empty() && (!absl::SimpleAtoi(port, &number) || number == 0 || number > 65535)) {
    return absl::InvalidArgumentError(absl::StrCat("bad port in ", url));
  }
  out.port = port.empty() ? (out.https ? "443" : "80") : std::string(port);
  return out;
}

bool IsLoopbackHost(const std::string& host) {
  if (absl::EqualsIgnoreCase(host, "localhost")) return true;
  boost::system::error_code ec;
  auto address = net::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

namespace {

template <class Stream>
absl::StatusOr<FetchResponse> Exchange(Stream& stream, beast::tcp_stream& lowest, const Url& url,
                                       const FetchRequest& request) {
  http::request<http::string_body> req(request.method == "POST" ? http::verb::post : http::verb::get, url.target, 11);
  const bool default_port = url.port == (url.https ? "443" : "80");
  req.set(http::field::host, default_port ? url.host : absl::StrCat(url.host, ":", url.port));
  req.set(http::field::user_agent, "nanokit-gateway");
  req.set(http::field::accept, "application/json");
  for (const auto& [name, value] : request.headers) req.set(name, value);
  if (!request.body.empty() || request.method == "POST") {
    req.set(http::field::content_type, request.content_type.empty() ? "application/x-www-form-urlencoded"
                                                                    : request.content_type);
    req.body() = request.body;
    req.prepare_payload();
  }
  beast::error_code ec;
  lowest.expires_after(absl::ToChronoNanoseconds(request.timeout));
  http::write(stream, req, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("writing to ", url.host, ": ", ec.message()));
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(request.max_body_bytes);
  http::read(stream, buffer, parser, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("reading from ", url.host, ": ", ec.message()));
  FetchResponse response;
  response.status = static_cast<int>(parser.get().result_int());
  response.content_type = std::string(parser.get()[http::field::content_type]);
  response.body = std::move(parser.get().body());
  return response;
}

}  // namespace

absl::StatusOr<FetchResponse> Fetch(const FetchRequest& request) {
  auto url = ParseUrl(request.url);
  if (!url.ok()) return url.status();
  if (!url->https && !IsLoopbackHost(url->host)) {
    return absl::InvalidArgumentError(
        absl::StrCat("plain http is accepted for loopback hosts only, not ", url->host, ": use https"));
  }
  const std::string where = absl::StrCat(url->https ? "https://" : "http://", url->host, ":", url->port);
  net::io_context ioc;
  beast::error_code ec;
  tcp::resolver resolver(ioc);
  auto endpoints = resolver.resolve(url->host, url->port, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot resolve ", url->host, ": ", ec.message()));

  if (!url->https) {
    beast::tcp_stream stream(ioc);
    stream.expires_after(absl::ToChronoNanoseconds(request.timeout));
    stream.connect(endpoints, ec);
    if (ec) return absl::UnavailableError(absl::StrCat("cannot connect to ", where, ": ", ec.message()));
    return Exchange(stream, stream, *url, request);
  }

  net::ssl::context tls(net::ssl::context::tls_client);
  tls.set_options(net::ssl::context::no_sslv2 | net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                  net::ssl::context::no_tlsv1_1);
  if (request.ca_file.empty()) {
    tls.set_default_verify_paths(ec);
  } else {
    tls.load_verify_file(request.ca_file, ec);
  }
  if (ec) return absl::InvalidArgumentError(absl::StrCat("cannot load the CAs to trust: ", ec.message()));
  tls.set_verify_mode(net::ssl::verify_peer);
  net::ssl::stream<beast::tcp_stream> stream(ioc, tls);
  // The name (or address) dialled must be the certificate's, and the server
  // learns which name we want (SNI, for names only).
  stream.set_verify_callback(net::ssl::host_name_verification(url->host));
  boost::system::error_code not_an_address;
  net::ip::make_address(url->host, not_an_address);
  if (not_an_address && !SSL_set_tlsext_host_name(stream.native_handle(), url->host.c_str())) {
    return absl::InternalError("cannot set the TLS server name");
  }
  beast::get_lowest_layer(stream).expires_after(absl::ToChronoNanoseconds(request.timeout));
  beast::get_lowest_layer(stream).connect(endpoints, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot connect to ", where, ": ", ec.message()));
  stream.handshake(net::ssl::stream_base::client, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("TLS with ", where, " failed (certificate not trusted or not for ",
                                               url->host, "?): ", ec.message()));
  }
  auto response = Exchange(stream, beast::get_lowest_layer(stream), *url, request);
  stream.shutdown(ec);  // the provider may just close: nothing to do about it
  return response;
}

}  // namespace nanokit::oidc
