#include "tests/support/test_jwt.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace nanokit::testing {

std::string B64(absl::string_view bytes) {
  std::string out;
  absl::WebSafeBase64Escape(bytes, &out);
  return out;
}

namespace {

std::string Bn(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  EVP_PKEY_get_bn_param(key, name, &bn);
  std::string out(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

}  // namespace

TestKey TestKey::Make(std::string kid, std::string alg) {
  EVP_PKEY* pkey = alg == "RS256" ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048})
                                  : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  return TestKey{std::move(kid), std::move(alg), pkey};
}

std::string TestKey::Param(const char* name) const { return Bn(pkey, name); }

std::string TestKey::Jwk() const {
  if (alg == "RS256") {
    return absl::StrCat(R"({"kty":"RSA","use":"sig","alg":"RS256","kid":")", kid, R"(","n":")",
                        B64(Bn(pkey, OSSL_PKEY_PARAM_RSA_N)), R"(","e":")", B64(Bn(pkey, OSSL_PKEY_PARAM_RSA_E)),
                        R"("})");
  }
  unsigned char point[65];
  size_t size = 0;
  EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point), &size);
  const std::string raw(reinterpret_cast<char*>(point), size);
  return absl::StrCat(R"({"kty":"EC","crv":"P-256","kid":")", kid, R"(","x":")", B64(raw.substr(1, 32)),
                      R"(","y":")", B64(raw.substr(33, 32)), R"("})");
}

std::string TestKey::Sign(absl::string_view data) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t size = 0;
  EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, pkey);
  EVP_DigestSign(ctx, nullptr, &size, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  std::string sig(size, '\0');
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &size,
                 reinterpret_cast<const unsigned char*>(data.data()), data.size());
  sig.resize(size);
  EVP_MD_CTX_free(ctx);
  if (alg == "RS256") return sig;
  // DER to JOSE's r || s.
  const unsigned char* p = reinterpret_cast<const unsigned char*>(sig.data());
  ECDSA_SIG* ecdsa = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
  std::string raw(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(ecdsa), reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(ecdsa), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  ECDSA_SIG_free(ecdsa);
  return raw;
}

std::string TestKey::Token(const std::string& payload, std::string header) const {
  if (header.empty()) header = absl::StrCat(R"({"alg":")", alg, R"(","kid":")", kid, R"(","typ":"JWT"})");
  const std::string data = B64(header) + "." + B64(payload);
  return data + "." + B64(Sign(data));
}

}  // namespace nanokit::testing
