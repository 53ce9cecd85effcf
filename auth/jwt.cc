#include "auth/jwt.h"

#include <algorithm>
#include <optional>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "auth/failure_reason.h"
#include "auth/json_object.h"

namespace nanokit::auth {

namespace pb = google::protobuf;

namespace {

absl::Status Refused(absl::string_view why) { return absl::UnauthenticatedError(absl::StrCat("JWT refused: ", why)); }

// base64url without padding, as JOSE writes it; nothing for other text.
std::optional<std::string> DecodeBase64Url(absl::string_view text) {
  if (text.find('=') != absl::string_view::npos) return std::nullopt;
  std::string out;
  if (!absl::WebSafeBase64Unescape(text, &out)) return std::nullopt;
  return out;
}

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

// A public key from its parameters (OpenSSL 3's EVP_PKEY_fromdata).
EVP_PKEY* PublicKeyFromParams(const char* type, OSSL_PARAM* params) {
  EVP_PKEY* key = nullptr;
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  if (ctx != nullptr && EVP_PKEY_fromdata_init(ctx) == 1) {
    if (EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1) key = nullptr;
  }
  EVP_PKEY_CTX_free(ctx);
  return key;
}

EVP_PKEY* RsaKey(const std::string& n, const std::string& e) {
  BIGNUM* bn_n = BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()), static_cast<int>(n.size()), nullptr);
  BIGNUM* bn_e = BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()), static_cast<int>(e.size()), nullptr);
  OSSL_PARAM_BLD* build = OSSL_PARAM_BLD_new();
  EVP_PKEY* key = nullptr;
  if (bn_n != nullptr && bn_e != nullptr && build != nullptr &&
      OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_N, bn_n) == 1 &&
      OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_E, bn_e) == 1) {
    OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(build);
    if (params != nullptr) key = PublicKeyFromParams("RSA", params);
    OSSL_PARAM_free(params);
  }
  OSSL_PARAM_BLD_free(build);
  BN_free(bn_n);
  BN_free(bn_e);
  return key;
}

EVP_PKEY* P256Key(const std::string& x, const std::string& y) {
  if (x.size() != 32 || y.size() != 32) return nullptr;
  std::string point = "\x04" + x + y;  // uncompressed
  char group[] = "prime256v1";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
      OSSL_PARAM_construct_end(),
  };
  return PublicKeyFromParams("EC", params);
}

// JOSE's ES256 signature is r and s, 32 bytes each; OpenSSL verifies DER.
std::optional<std::string> Es256ToDer(absl::string_view raw) {
  if (raw.size() != 64) return std::nullopt;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data() + 32), 32, nullptr);
  std::optional<std::string> der;
  if (sig != nullptr && r != nullptr && s != nullptr && ECDSA_SIG_set0(sig, r, s) == 1) {
    r = s = nullptr;  // owned by sig now
    unsigned char* out = nullptr;
    int size = i2d_ECDSA_SIG(sig, &out);
    if (size > 0) der = std::string(reinterpret_cast<char*>(out), static_cast<size_t>(size));
    OPENSSL_free(out);
  }
  BN_free(r);
  BN_free(s);
  ECDSA_SIG_free(sig);
  return der;
}

// The NumericDate of a claim; nothing when absent or not a number.
std::optional<absl::Time> TimeClaim(const pb::Struct& claims, const std::string& name) {
  const pb::Value* value = FindField(claims, name);
  if (value == nullptr || !value->has_number_value()) return std::nullopt;
  return absl::FromUnixSeconds(static_cast<int64_t>(value->number_value()));
}

}  // namespace

struct Jwk::Key {
  std::unique_ptr<EVP_PKEY, PkeyFree> pkey;
};

Jwk::~Jwk() = default;
Jwk::Jwk(Jwk&&) noexcept = default;
Jwk& Jwk::operator=(Jwk&&) noexcept = default;

bool Jwk::Verifies(absl::string_view signed_data, absl::string_view signature) const {
  std::string der;
  if (algorithm_ == "ES256") {
    auto converted = Es256ToDer(signature);
    if (!converted) return false;
    der = *std::move(converted);
    signature = der;
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx != nullptr && EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key_->pkey.get()) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                             reinterpret_cast<const unsigned char*>(signed_data.data()), signed_data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

absl::StatusOr<std::vector<Jwk>> ParseJwks(absl::string_view json) {
  auto document = ParseJsonObject(json);
  if (!document.ok()) return absl::InvalidArgumentError("JWKS: not a JSON object");
  const pb::Value* keys = FindField(*document, "keys");
  if (keys == nullptr || !keys->has_list_value()) return absl::InvalidArgumentError("JWKS: no \"keys\" list");
  std::vector<Jwk> out;
  for (const pb::Value& entry : keys->list_value().values()) {
    if (!entry.has_struct_value()) return absl::InvalidArgumentError("JWKS: a key is not an object");
    const pb::Struct& key = entry.struct_value();
    const std::string kty = StringField(key, "kty");
    const std::string use = StringField(key, "use");
    if (!use.empty() && use != "sig") continue;  // an encryption key
    Jwk jwk;
    jwk.kid_ = StringField(key, "kid");
    const std::string alg = StringField(key, "alg");
    EVP_PKEY* pkey = nullptr;
    if (kty == "RSA" && (alg.empty() || alg == "RS256")) {
      auto n = DecodeBase64Url(StringField(key, "n"));
      auto e = DecodeBase64Url(StringField(key, "e"));
      if (!n || !e || n->empty() || e->empty()) {
        return absl::InvalidArgumentError(absl::StrCat("JWKS: RSA key \"", jwk.kid_, "\" has no valid n and e"));
      }
      pkey = RsaKey(*n, *e);
      jwk.algorithm_ = "RS256";
    } else if (kty == "EC" && StringField(key, "crv") == "P-256" && (alg.empty() || alg == "ES256")) {
      auto x = DecodeBase64Url(StringField(key, "x"));
      auto y = DecodeBase64Url(StringField(key, "y"));
      if (x && y) pkey = P256Key(*x, *y);
      jwk.algorithm_ = "ES256";
    } else {
      continue;  // an algorithm we never accept
    }
    if (pkey == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("JWKS: key \"", jwk.kid_, "\" is not a valid public key"));
    }
    jwk.key_ = std::make_unique<Jwk::Key>();
    jwk.key_->pkey.reset(pkey);
    out.push_back(std::move(jwk));
  }
  return out;
}

absl::StatusOr<pb::Struct> VerifyJwt(absl::string_view token, const std::vector<Jwk>& keys,
                                     const JwtExpectations& expect) {
  if (token.size() > kMaxJwtBytes) return Refused(absl::StrCat("longer than ", kMaxJwtBytes, " bytes"));
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) return Refused("not a signed JWT (three dot-separated parts)");
  auto header_json = DecodeBase64Url(parts[0]);
  auto payload_json = DecodeBase64Url(parts[1]);
  auto signature = DecodeBase64Url(parts[2]);
  if (!header_json || !payload_json || !signature) return Refused("a part is not base64url");
  auto header = ParseJsonObject(*header_json);
  if (!header.ok()) return Refused("the header is not a JSON object");
  const std::string alg = StringField(*header, "alg");
  if (alg != "RS256" && alg != "ES256") return Refused("only RS256 and ES256 are accepted");
  const std::string kid = StringField(*header, "kid");

  // The key: by kid, of the header's algorithm. Without a kid, only a
  // provider with a single key of that algorithm is unambiguous.
  const Jwk* key = nullptr;
  int candidates = 0;
  for (const Jwk& jwk : keys) {
    if (jwk.algorithm() != alg) continue;
    if (!kid.empty() ? jwk.kid() == kid : ++candidates == 1) key = &jwk;
  }
  if (kid.empty() && candidates > 1) return Refused("no kid, and the provider has several keys");
  if (key == nullptr) return absl::NotFoundError("JWT refused: no key of the provider has its kid and algorithm");

  const absl::string_view signed_data(token.data(), parts[0].size() + 1 + parts[1].size());
  if (!key->Verifies(signed_data, *signature)) return Refused("bad signature");

  auto claims = ParseJsonObject(*payload_json);
  if (!claims.ok()) return Refused("the payload is not a JSON object");
  if (StringField(*claims, "iss") != expect.issuer) return Refused("wrong issuer");

  std::vector<std::string> audiences;
  if (const pb::Value* aud = FindField(*claims, "aud"); aud != nullptr) {
    if (aud->has_string_value()) audiences.push_back(aud->string_value());
    if (aud->has_list_value()) {
      for (const pb::Value& a : aud->list_value().values()) {
        if (a.has_string_value()) audiences.push_back(a.string_value());
      }
    }
  }
  if (std::find(audiences.begin(), audiences.end(), expect.audience) == audiences.end()) {
    return Refused("wrong audience");
  }
  if (audiences.size() > 1 && StringField(*claims, "azp") != expect.audience) {
    return Refused("several audiences and azp is not ours");
  }

  auto exp = TimeClaim(*claims, "exp");
  if (!exp) return Refused("no exp");
  if (expect.now >= *exp + expect.clock_skew) return Unauthenticated(kRefusedExpired, "JWT refused: expired");
  if (auto nbf = TimeClaim(*claims, "nbf"); nbf && expect.now + expect.clock_skew < *nbf) {
    return Refused("not valid yet (nbf)");
  }
  if (auto iat = TimeClaim(*claims, "iat"); iat && *iat > expect.now + expect.clock_skew) {
    return Refused("issued in the future (iat)");
  }
  if (!expect.nonce.empty() && StringField(*claims, "nonce") != expect.nonce) return Refused("wrong nonce");
  return *std::move(claims);
}

}  // namespace nanokit::auth
