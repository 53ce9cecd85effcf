// An HTTP upgrade request, whatever it holds, through Beast's parser into
// the gateway's upgrade policy: it never crashes; an accepted upgrade
// offered nanokit.v1, came from an allowed Origin and carried the token; and
// a refusal's reason never repeats the token.
#include <cstddef>
#include <cstdint>
#include <string>

#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http.hpp>

#include "absl/strings/match.h"
#include "common/token.h"
#include "fuzz/fuzz_check.h"
#include "ws_gateway/upgrade_policy.h"

namespace {

constexpr char kToken[] = "fuzz-token-0123456789abcdefghijklmnopqrs";

absl::string_view Header(const boost::beast::http::request<boost::beast::http::string_body>& request,
                         boost::beast::http::field field) {
  auto it = request.find(field);
  if (it == request.end()) return {};
  return absl::string_view(it->value().data(), it->value().size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nanokit;
  namespace http = boost::beast::http;
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(16 * 1024);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec || !parser.is_header_done()) return 0;
  const auto& request = parser.get();

  static const auto* access = auth::AccessControl::Create({.admin_token = std::string(kToken)})->release();
  static const std::vector<std::string> allowed{"http://localhost:3000"};
  gateway::UpgradeRequest upgrade{Header(request, http::field::host), Header(request, http::field::origin),
                                  Header(request, http::field::authorization),
                                  Header(request, http::field::sec_websocket_protocol)};
  gateway::UpgradeDecision decision = gateway::DecideUpgrade(upgrade, *access, allowed);
  FUZZ_CHECK(decision.http_status == 101 || decision.http_status == 400 || decision.http_status == 401 ||
             decision.http_status == 403);
  FUZZ_CHECK(!absl::StrContains(decision.reason, kToken));
  if (!decision.accepted()) return 0;
  bool offers_protocol = false;
  for (const std::string& protocol : gateway::SplitSubprotocols(upgrade.subprotocols)) {
    offers_protocol |= protocol == gateway::kSubprotocol;
  }
  FUZZ_CHECK(offers_protocol);
  FUZZ_CHECK(gateway::IsOriginAllowed(upgrade.origin, upgrade.host, allowed));
  FUZZ_CHECK(decision.identity && decision.identity->grant->admin());
  FUZZ_CHECK(absl::StrContains(upgrade.authorization, kToken) || absl::StrContains(upgrade.subprotocols, kToken));
  return 0;
}
