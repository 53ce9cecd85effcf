// Any bytes as a JWT (what a program puts in its Authorization header) and
// as a provider's JWKS document: no crash, and no input is ever accepted —
// the fuzzer cannot sign with the provider's key, so a token that verifies
// would be a forgery the verifier let through.
#include <cstddef>
#include <cstdint>
#include <string>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "auth/jwt.h"
#include "fuzz/fuzz_check.h"

namespace {

std::string B64(absl::string_view bytes) {
  std::string out;
  absl::WebSafeBase64Escape(bytes, &out);
  return out;
}

// The provider's keys: a P-256 key made once per run, and its JWK.
const std::vector<nanokit::auth::Jwk>& ProviderKeys() {
  static const auto* keys = [] {
    EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    unsigned char point[65];
    size_t size = 0;
    EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point), &size);
    const std::string raw(reinterpret_cast<char*>(point), size);
    EVP_PKEY_free(key);
    auto parsed = nanokit::auth::ParseJwks(absl::StrCat(R"({"keys":[{"kty":"EC","crv":"P-256","kid":"k1","x":")",
                                                        B64(raw.substr(1, 32)), R"(","y":")", B64(raw.substr(33, 32)),
                                                        R"("}]})"));
    return new std::vector<nanokit::auth::Jwk>(std::move(*parsed));
  }();
  return *keys;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nanokit::auth;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto verified = VerifyJwt(text, ProviderKeys(),
                            {.issuer = "https://idp.example", .audience = "bridge", .nonce = "",
                             .now = absl::FromUnixSeconds(1800000000), .clock_skew = absl::Seconds(60)});
  FUZZ_CHECK(!verified.ok());
  FUZZ_CHECK(absl::IsUnauthenticated(verified.status()) || absl::IsNotFound(verified.status()));
  // Every reason is our own fixed text: nothing of the input is echoed.
  FUZZ_CHECK(absl::StartsWith(verified.status().message(), "JWT refused: "));
  auto keys = ParseJwks(text);
  if (keys.ok()) {
    for (const Jwk& key : *keys) FUZZ_CHECK(key.algorithm() == "RS256" || key.algorithm() == "ES256");
  }
  return 0;
}
