#pragma once
// A provider's signing key for tests, made by OpenSSL: its JWK, and JWTs
// signed with it the way a provider signs them (RS256, or ES256 with JOSE's
// r || s signature).

#include <string>

#include <openssl/evp.h>

#include "absl/strings/string_view.h"

namespace nanokit::testing {

// base64url without padding.
std::string B64(absl::string_view bytes);

struct TestKey {
  // alg "RS256" (RSA 2048) or "ES256" (P-256).
  static TestKey Make(std::string kid, std::string alg);
  std::string kid;
  std::string alg;
  EVP_PKEY* pkey = nullptr;  // kept for the process

  // The public key as a JWK object.
  std::string Jwk() const;
  std::string Sign(absl::string_view data) const;
  // header empty: {"alg":ALG,"kid":KID,"typ":"JWT"}.
  std::string Token(const std::string& payload, std::string header = "") const;
  // A big-endian parameter of the key (the RSA modulus "n", say).
  std::string Param(const char* name) const;
};

}  // namespace nanokit::testing
