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

UpgradeDecision DecideUpgrade(const UpgradeRequest& request, const auth::AccessControl& access,
                              const std::vector<std::string>& allowed_origins) {
  if (!IsOriginAllowed(request.origin, request.host, allowed_origins)) {
    return {403, "origin not allowed: start the gateway with --allowed-origin for this dashboard", std::nullopt};
  }
  bool offers_protocol = false;
  std::optional<std::string> protocol_token;
  for (const std::string& protocol : SplitSubprotocols(request.subprotocols)) {
    if (protocol == kSubprotocol) offers_protocol = true;
    if (!protocol_token && absl::StartsWith(protocol, kBearerSubprotocolPrefix)) {
      protocol_token = protocol.substr(kBearerSubprotocolPrefix.size());
    }
  }
  // The header first; the subprotocol when there is none or it fails.
  auto identity = access.AuthenticateBearer(request.authorization);
  if (!identity.ok() && protocol_token) identity = access.Authenticate(*protocol_token);
  if (!identity.ok()) {
    return {401,
            absl::StrCat(identity.status().message(),
                         ": send \"Authorization: Bearer <token>\" or offer the subprotocol \"nanokit.bearer.<token>\""),
            std::nullopt};
  }
  if (!identity->grant->MayView()) {
    return {403, absl::StrCat("the token \"", identity->grant->subject(), "\" is a publisher's: it may not watch"),
            std::nullopt};
  }
  if (!offers_protocol) return {400, "the subprotocol \"nanokit.v1\" is required", std::nullopt};
  return {101, "", *std::move(identity)};
}

}  // namespace nanokit::gateway
