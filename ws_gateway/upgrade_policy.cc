#include "ws_gateway/upgrade_policy.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "auth/failure_reason.h"
#include "ws_gateway/cookie.h"

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

bool IsSignInOriginAllowed(absl::string_view origin, absl::string_view sign_in_origin,
                           const std::vector<std::string>& allowed_origins) {
  if (origin.empty()) return false;
  if (absl::EqualsIgnoreCase(origin, sign_in_origin)) return true;
  return std::any_of(allowed_origins.begin(), allowed_origins.end(),
                     [origin](const std::string& allowed) { return absl::EqualsIgnoreCase(allowed, origin); });
}

absl::Status CheckMayWatch(const auth::Identity& identity) {
  if (identity.grant->MayView()) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("the token \"", identity.grant->subject(), "\" is a publisher's: it may not watch"));
}

namespace {

UpgradeDecision Refused(int status, std::string reason, std::string auth_failure = "") {
  UpgradeDecision refused{status, std::move(reason)};
  refused.auth_failure = std::move(auth_failure);
  return refused;
}

UpgradeDecision Decide(const absl::StatusOr<auth::Identity>& identity, bool offers_protocol) {
  if (!identity.ok()) {
    UpgradeDecision refused = Refused(
        401,
        absl::StrCat(identity.status().message(),
                     ": send \"Authorization: Bearer <token>\" or offer the subprotocol \"nanokit.bearer.<token>\""),
        std::string(auth::FailureReason(identity.status())));
    refused.unknown_signing_key = absl::IsNotFound(identity.status());
    return refused;
  }
  if (auto may_watch = CheckMayWatch(*identity); !may_watch.ok()) {
    return Refused(403, std::string(may_watch.message()), std::string(auth::FailureReason(may_watch)));
  }
  if (!offers_protocol) return Refused(400, "the subprotocol \"nanokit.v1\" is required");
  return {101, "", *identity};
}

}  // namespace

UpgradeDecision DecideUpgrade(const UpgradeRequest& request, const auth::AccessControl& access,
                              const std::vector<std::string>& allowed_origins, absl::string_view sign_in_origin) {
  bool offers_protocol = false;
  std::optional<std::string> protocol_token;
  for (const std::string& protocol : SplitSubprotocols(request.subprotocols)) {
    if (protocol == kSubprotocol) offers_protocol = true;
    if (!protocol_token && absl::StartsWith(protocol, kBearerSubprotocolPrefix)) {
      protocol_token = protocol.substr(kBearerSubprotocolPrefix.size());
    }
  }
  const std::optional<absl::string_view> session =
      sign_in_origin.empty() ? std::nullopt : FindCookie(request.cookie, kSessionCookie);
  if (session && request.authorization.empty() && !protocol_token) {
    if (!IsSignInOriginAllowed(request.origin, sign_in_origin, allowed_origins)) {
      return Refused(403,
                     absl::StrCat("a signed-in WebSocket must come from the dashboard's origin ", sign_in_origin,
                                  request.origin.empty() ? " (it sent none)" : ""),
                     "origin");
    }
    return Decide(access.AuthenticateSession(*session), offers_protocol);
  }
  if (!IsOriginAllowed(request.origin, request.host, allowed_origins)) {
    return Refused(403, "origin not allowed: start the gateway with --allowed-origin for this dashboard", "origin");
  }
  // The header first; the subprotocol when there is none or it fails.
  auto identity = access.AuthenticateBearer(request.authorization);
  if (!identity.ok() && protocol_token) identity = access.Authenticate(*protocol_token);
  return Decide(identity, offers_protocol);
}

}  // namespace nanokit::gateway
