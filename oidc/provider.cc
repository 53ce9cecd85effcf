#include "oidc/provider.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "auth/json_object.h"
#include "common/log.h"
#include "oidc/https_fetch.h"

namespace nanokit::oidc {

namespace pb = google::protobuf;

namespace {

absl::Status CheckEndpoint(const std::string& name, const std::string& url) {
  auto parsed = ParseUrl(url);
  if (!parsed.ok()) return absl::InvalidArgumentError(absl::StrCat("discovery: ", name, " is not a URL"));
  if (!parsed->https && !IsLoopbackHost(parsed->host)) {
    return absl::InvalidArgumentError(absl::StrCat("discovery: ", name, " is plain http to ", parsed->host));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Get(const std::string& url, const std::string& ca_file) {
  auto response = Fetch({.url = url, .ca_file = ca_file});
  if (!response.ok()) return response.status();
  if (response->status != 200) {
    return absl::UnavailableError(absl::StrCat(url, " answered HTTP ", response->status));
  }
  return std::move(response->body);
}

}  // namespace

absl::StatusOr<ProviderMetadata> ParseDiscovery(const std::string& json, const std::string& expected_issuer) {
  auto parsed = auth::ParseJsonObject(json);
  if (!parsed.ok()) return absl::InvalidArgumentError("discovery: the document is not a JSON object");
  const pb::Struct& document = *parsed;
  using auth::StringField;
  ProviderMetadata metadata{StringField(document, "issuer"), StringField(document, "authorization_endpoint"),
                            StringField(document, "token_endpoint"), StringField(document, "jwks_uri"),
                            StringField(document, "end_session_endpoint")};
  if (metadata.issuer != expected_issuer) {
    return absl::InvalidArgumentError(absl::StrCat("discovery: the document's issuer \"", metadata.issuer,
                                                   "\" is not \"", expected_issuer, "\""));
  }
  for (const auto& [name, url] : {std::pair{"authorization_endpoint", metadata.authorization_endpoint},
                                  std::pair{"token_endpoint", metadata.token_endpoint},
                                  std::pair{"jwks_uri", metadata.jwks_uri}}) {
    if (auto status = CheckEndpoint(name, url); !status.ok()) return status;
  }
  if (!metadata.end_session_endpoint.empty()) {
    if (auto status = CheckEndpoint("end_session_endpoint", metadata.end_session_endpoint); !status.ok()) {
      return status;
    }
  }
  return metadata;
}

absl::StatusOr<std::unique_ptr<Provider>> Provider::Discover(ProviderOptions options) {
  if (auto status = CheckEndpoint("the issuer", options.issuer); !status.ok()) return status;
  std::string base = options.issuer;
  while (absl::EndsWith(base, "/")) base.pop_back();
  auto document = Get(base + "/.well-known/openid-configuration", options.ca_file);
  if (!document.ok()) return document.status();
  auto metadata = ParseDiscovery(*document, options.issuer);
  if (!metadata.ok()) return metadata.status();
  std::unique_ptr<Provider> provider(new Provider(std::move(options), *std::move(metadata)));
  auto keys = provider->FetchKeys();
  if (!keys.ok()) return keys.status();
  absl::MutexLock lock(&provider->mu_);
  provider->keys_ = *std::move(keys);
  provider->last_fetch_ = provider->options_.clock->Now();
  return provider;
}

absl::StatusOr<std::shared_ptr<const std::vector<auth::Jwk>>> Provider::FetchKeys() const {
  auto body = Get(metadata_.jwks_uri, options_.ca_file);
  if (!body.ok()) return body.status();
  auto keys = auth::ParseJwks(*body);
  if (!keys.ok()) return keys.status();
  if (keys->empty()) return absl::InvalidArgumentError("the provider's JWKS has no RS256 or ES256 key");
  return std::make_shared<const std::vector<auth::Jwk>>(*std::move(keys));
}

absl::Status Provider::RefreshKeys() {
  {
    absl::MutexLock lock(&mu_);
    last_fetch_ = options_.clock->Now();
  }
  return StoreFetchedKeys();
}

absl::Status Provider::StoreFetchedKeys() {
  auto keys = FetchKeys();
  absl::MutexLock lock(&mu_);
  if (!keys.ok()) {
    if (keys.status().message() != last_error_) {
      last_error_ = std::string(keys.status().message());
      log::Warn("oidc: cannot fetch the keys of ", metadata_.issuer, ": ", last_error_, "; keeping the last good ",
                keys_->size());
    }
    return keys.status();
  }
  if (!last_error_.empty()) log::Info("oidc: the keys of ", metadata_.issuer, " are fetched again");
  last_error_.clear();
  keys_ = *std::move(keys);
  return absl::OkStatus();
}

absl::StatusOr<pb::Struct> Provider::VerifyCached(absl::string_view token, const auth::JwtExpectations& expect) {
  std::shared_ptr<const std::vector<auth::Jwk>> keys;
  {
    absl::MutexLock lock(&mu_);
    keys = keys_;
  }
  return auth::VerifyJwt(token, *keys, expect);
}

absl::Status Provider::RefetchForUnknownKid() {
  {
    // Checked and claimed at once: of many tokens with new kids, one fetches.
    absl::MutexLock lock(&mu_);
    const absl::Time now = options_.clock->Now();
    if (now - last_fetch_ < options_.min_refetch_interval) {
      return absl::ResourceExhaustedError("the keys were fetched less than a minute ago");
    }
    last_fetch_ = now;
  }
  return StoreFetchedKeys();
}

absl::StatusOr<pb::Struct> Provider::Verify(absl::string_view token, const auth::JwtExpectations& expect) {
  auto claims = VerifyCached(token, expect);
  if (!absl::IsNotFound(claims.status())) return claims;
  // An unknown kid: the provider may have rotated its keys.
  if (auto refetch = RefetchForUnknownKid(); absl::IsResourceExhausted(refetch)) {
    return absl::UnauthenticatedError(
        "JWT refused: no key of the provider has its kid (its keys were fetched less than a minute ago)");
  } else if (!refetch.ok()) {
    return absl::UnauthenticatedError("JWT refused: its kid is unknown, and the provider's keys cannot be fetched");
  }
  claims = VerifyCached(token, expect);
  if (absl::IsNotFound(claims.status())) return absl::UnauthenticatedError(claims.status().message());
  return claims;
}

}  // namespace nanokit::oidc
