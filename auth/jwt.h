#pragma once
// Verifying a JSON Web Token signed by an identity provider (issue 12: the
// ID tokens of an OpenID Connect sign-in, and the bearer JWTs programs
// present). Only what providers use and nothing an attacker can choose:
// RS256 or ES256 (never `none`, never HS*), the key picked by `kid` from the
// provider's JWKS and of the algorithm's type, and the registered claims
// checked — `iss` exactly, `aud` (and `azp` when there are several
// audiences), `exp`/`nbf`/`iat` within a clock skew, `nonce` when one is
// expected.

#include <memory>
#include <string>
#include <vector>

#include <google/protobuf/struct.pb.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace nanokit::auth {

// A JWT longer than this is refused before it is decoded.
inline constexpr size_t kMaxJwtBytes = 16 * 1024;

// One public key of a provider's JWKS (RFC 7517): RSA (kty "RSA", n, e) or
// P-256 (kty "EC", crv "P-256", x, y).
class Jwk {
 public:
  ~Jwk();
  Jwk(Jwk&&) noexcept;
  Jwk& operator=(Jwk&&) noexcept;
  const std::string& kid() const { return kid_; }
  // "RS256" or "ES256": the one algorithm this key verifies.
  const std::string& algorithm() const { return algorithm_; }
  // Whether signature is the algorithm's signature of signed_data.
  bool Verifies(absl::string_view signed_data, absl::string_view signature) const;

 private:
  friend absl::StatusOr<std::vector<Jwk>> ParseJwks(absl::string_view json);
  Jwk() = default;
  std::string kid_;
  std::string algorithm_;
  struct Key;
  std::unique_ptr<Key> key_;
};

// The keys of a JWKS document ({"keys": [...]}) that can verify RS256 or
// ES256 signatures; others (encryption keys, other curves) are skipped. An
// error when the document is not a JWKS or a usable key is malformed.
absl::StatusOr<std::vector<Jwk>> ParseJwks(absl::string_view json);

struct JwtExpectations {
  std::string issuer;
  // Must be among the token's audiences; with several, `azp` must be it.
  std::string audience;
  // When not empty, the token's `nonce` must equal it.
  std::string nonce = {};
  absl::Time now = absl::InfinitePast();
  absl::Duration clock_skew = absl::Seconds(60);
};

// The token's claims once everything checks out. Errors are
// UNAUTHENTICATED with a reason that is safe to log (never the token),
// except a `kid` that no key has: NOT_FOUND, so that the caller may fetch
// the provider's keys again (they may have rotated) and retry.
absl::StatusOr<google::protobuf::Struct> VerifyJwt(absl::string_view token, const std::vector<Jwk>& keys,
                                                   const JwtExpectations& expect);

}  // namespace nanokit::auth
