#pragma once
// An OpenID provider as the relying party knows it: its discovery document
// (/.well-known/openid-configuration) and its signing keys (JWKS), cached.
// The keys are fetched again when a token names a kid they lack — at most
// once a minute, so a flood of forged kids cannot turn the gateway into a
// flood of requests to the provider — and a failed fetch keeps the last
// good keys (and says so, once). Thread-safe.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "auth/jwt.h"
#include "common/clock.h"

namespace nanokit::oidc {

struct ProviderMetadata {
  std::string issuer;
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::string jwks_uri;
  std::string end_session_endpoint;  // optional
};

// The discovery document, checked: its issuer must be exactly the one
// asked for (OpenID Connect Discovery 1.0, section 4.3) and its endpoints
// https (http only on loopback).
absl::StatusOr<ProviderMetadata> ParseDiscovery(const std::string& json, const std::string& expected_issuer);

struct ProviderOptions {
  std::string issuer;        // e.g. https://idp.example/realms/main
  std::string ca_file = {};  // trust for the provider's HTTPS; empty: the system's
  absl::Duration min_refetch_interval = absl::Minutes(1);
  const Clock* clock = &Clock::Real();
};

class Provider {
 public:
  // Reads the discovery document and the keys; an error when the provider
  // cannot be reached or answers wrongly (the caller retries, or fails to
  // start).
  static absl::StatusOr<std::unique_ptr<Provider>> Discover(ProviderOptions options);

  const ProviderMetadata& metadata() const { return metadata_; }

  // Verifies a token against the cached keys; an unknown kid fetches the
  // keys again (rate-limited) and retries once. May block on the network.
  absl::StatusOr<google::protobuf::Struct> Verify(absl::string_view token, const auth::JwtExpectations& expect);
  // Against the cached keys only, never blocking: an unknown kid is
  // NOT_FOUND (then RefetchForUnknownKid, off the caller's thread, and ask
  // again).
  absl::StatusOr<google::protobuf::Struct> VerifyCached(absl::string_view token,
                                                        const auth::JwtExpectations& expect);
  // Fetches the keys again unless they were fetched within the last
  // min_refetch_interval (then RESOURCE_EXHAUSTED); or the fetch's error.
  absl::Status RefetchForUnknownKid();

  // Fetches the keys now (rate limit aside); on failure the last good ones
  // stay. Returns what the fetch did.
  absl::Status RefreshKeys();

 private:
  Provider(ProviderOptions options, ProviderMetadata metadata)
      : options_(std::move(options)), metadata_(std::move(metadata)) {}
  absl::StatusOr<std::shared_ptr<const std::vector<auth::Jwk>>> FetchKeys() const;
  // Fetches the keys and keeps them, or keeps the last good ones.
  absl::Status StoreFetchedKeys();

  const ProviderOptions options_;
  const ProviderMetadata metadata_;
  absl::Mutex mu_;
  std::shared_ptr<const std::vector<auth::Jwk>> keys_ ABSL_GUARDED_BY(mu_);
  absl::Time last_fetch_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::string last_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace nanokit::oidc
