#include "ws_gateway/upgrade_policy.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace nanokit::gateway {

std::vector<std::string> SplitSubprotocols(absl::string_view header) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(header, ',')) {
    part = absl::StripAsciiWhitespace(part);
    if (!part.empty()) out.emplace_back(part);
  }
  return out;
}

bool IsOriginAllowed(absl::string_view origin, absl::string_view host,
                     const std::vector<std::string>& allowed_origins) {
  if (origin.empty()) return true;
  if (!host.empty() && (absl::EqualsIgnoreCase(origin, absl::StrCat("http://", host)) ||
                        absl::EqualsIgnoreCase(origin, absl::StrCat("https://", host)))) {
    return true;
  }
  return std::any_of(allowed_origins.begin(), allowed_origins.end(), [origin](const std::string& allowed) {
    return allowed == "*" || absl::EqualsIgnoreCase(allowed, origin);
  });
}

UpgradeDecision DecideUpgrade(const UpgradeRequest& request, const Authenticator& auth,
                              const std::vector<std::string>& allowed_origins) {
  if (!IsOriginAllowed(request.origin, request.host, allowed_origins)) {
    return {403, "origin not allowed: start the gateway with --allowed-origin for this dashboard"};
  }
  bool offers_protocol = false;
  bool token_ok = !auth.enabled() || (!request.authorization.empty() && auth.CheckBearer(request.authorization));
  for (const std::string& protocol : SplitSubprotocols(request.subprotocols)) {
    if (protocol == kSubprotocol) offers_protocol = true;
    if (!token_ok && absl::StartsWith(protocol, kBearerSubprotocolPrefix)) {
      token_ok = auth.CheckToken(absl::string_view(protocol).substr(kBearerSubprotocolPrefix.size()));
    }
  }
  if (!token_ok) {
    return {401, "missing or wrong token: send \"Authorization: Bearer <token>\" or offer the subprotocol "
                 "\"nanokit.bearer.<token>\""};
  }
  if (!offers_protocol) return {400, "the subprotocol \"nanokit.v1\" is required"};
  return {101, ""};
}

}  // namespace nanokit::gateway
