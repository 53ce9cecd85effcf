// VerifyJwt and ParseJwks with keys made here by OpenSSL, signed here the
// way a provider signs: RS256 and ES256 accepted, and every token a
// provider would not issue (or an attacker would forge) refused.
#include "auth/jwt.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "auth/failure_reason.h"
#include "tests/support/test_jwt.h"

namespace nanokit::auth {
namespace {

using testing::B64;
using testing::TestKey;

class JwtTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_ = new TestKey(TestKey::Make("rsa-1", "RS256"));
    ec_ = new TestKey(TestKey::Make("ec-1", "ES256"));
  }
  void SetUp() override {
    auto keys = ParseJwks(absl::StrCat(R"({"keys":[)", rsa_->Jwk(), ",", ec_->Jwk(),
                                       R"(,{"kty":"oct","k":"c2VjcmV0"},{"kty":"RSA","use":"enc","n":"AQ","e":"AQ"}]})"));
    ASSERT_TRUE(keys.ok()) << keys.status();
    ASSERT_EQ(keys->size(), 2u) << "the symmetric and the encryption key are skipped";
    keys_ = *std::move(keys);
  }

  std::string Payload(int64_t exp_in = 300, const std::string& extra = "") const {
    const int64_t now = absl::ToUnixSeconds(now_);
    return absl::StrCat(R"({"iss":"https://idp.example","sub":"u1","aud":"bridge","iat":)", now, R"(,"exp":)",
                        now + exp_in, extra, "}");
  }
  absl::StatusOr<google::protobuf::Struct> Verify(const std::string& token, std::string nonce = "") const {
    return VerifyJwt(token, keys_, {.issuer = "https://idp.example", .audience = "bridge", .nonce = nonce,
                                    .now = now_, .clock_skew = absl::Seconds(60)});
  }
  static std::string Reason(const absl::StatusOr<google::protobuf::Struct>& result) {
    return std::string(result.status().message());
  }

  static TestKey* rsa_;
  static TestKey* ec_;
  std::vector<Jwk> keys_;
  absl::Time now_ = absl::FromUnixSeconds(1800000000);
};

TestKey* JwtTest::rsa_ = nullptr;
TestKey* JwtTest::ec_ = nullptr;

TEST_F(JwtTest, Rs256AndEs256FromTheProvidersKeysAreAccepted) {
  for (const TestKey* key : {rsa_, ec_}) {
    auto claims = Verify(key->Token(Payload(300, R"(,"groups":["team-shop"])")));
    ASSERT_TRUE(claims.ok()) << key->alg << ": " << claims.status();
    EXPECT_EQ(claims->fields().at("sub").string_value(), "u1");
    EXPECT_EQ(claims->fields().at("groups").list_value().values(0).string_value(), "team-shop");
  }
}

TEST_F(JwtTest, NoneAndHs256SignedWithThePublicKeyAreRefused) {
  const std::string payload = Payload();
  const std::string none = B64(R"({"alg":"none"})") + "." + B64(payload) + ".";
  EXPECT_TRUE(absl::IsUnauthenticated(Verify(none).status()));
  // The classic confusion: HMAC keyed with the RSA public key's bytes.
  const std::string data = B64(R"({"alg":"HS256","kid":"rsa-1"})") + "." + B64(payload);
  const std::string secret = rsa_->Param(OSSL_PKEY_PARAM_RSA_N);
  unsigned char mac[32];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &size);
  auto hs = Verify(data + "." + B64(absl::string_view(reinterpret_cast<char*>(mac), size)));
  EXPECT_TRUE(absl::IsUnauthenticated(hs.status()));
  EXPECT_NE(Reason(hs).find("only RS256 and ES256"), std::string::npos);
}

TEST_F(JwtTest, AnUnknownKidOrAKeyOfAnotherTypeAsksForFreshKeys) {
  auto unknown = Verify(rsa_->Token(Payload(), R"({"alg":"RS256","kid":"rotated-away"})"));
  EXPECT_TRUE(absl::IsNotFound(unknown.status())) << unknown.status();
  // ES256 in the header, the RSA key's kid: no such key.
  auto mismatch = Verify(ec_->Token(Payload(), R"({"alg":"ES256","kid":"rsa-1"})"));
  EXPECT_TRUE(absl::IsNotFound(mismatch.status())) << mismatch.status();
}

TEST_F(JwtTest, ATamperedPayloadOrSignatureIsRefused) {
  const std::string token = rsa_->Token(Payload());
  const size_t dot = token.find('.');
  const std::string other = B64(Payload(300, R"(,"groups":["bridge-admins"])"));
  const std::string tampered = token.substr(0, dot + 1) + other + token.substr(token.rfind('.'));
  auto refused = Verify(tampered);
  EXPECT_TRUE(absl::IsUnauthenticated(refused.status()));
  EXPECT_NE(Reason(refused).find("bad signature"), std::string::npos);
  EXPECT_EQ(Reason(refused).find(token), std::string::npos) << "never the token";
  EXPECT_TRUE(absl::IsUnauthenticated(Verify(token.substr(0, token.size() - 4) + "AAAA").status()));
  EXPECT_TRUE(absl::IsUnauthenticated(Verify("not.a.jwt!").status()));
  EXPECT_TRUE(absl::IsUnauthenticated(Verify("onlyonepart").status()));
}

TEST_F(JwtTest, TimesAreCheckedWithinTheSkew) {
  EXPECT_TRUE(Verify(ec_->Token(Payload(-30))).ok()) << "30 s past exp, within 60 s of skew";
  const auto expired = Verify(ec_->Token(Payload(-61)));
  EXPECT_NE(Reason(expired).find("expired"), std::string::npos);
  EXPECT_EQ(FailureReason(expired.status()), "expired");
  EXPECT_EQ(FailureReason(Verify("onlyonepart").status()), "invalid");
  const int64_t now = absl::ToUnixSeconds(now_);
  EXPECT_NE(Reason(Verify(ec_->Token(Payload(300, absl::StrCat(R"(,"nbf":)", now + 120))))).find("nbf"),
            std::string::npos);
  EXPECT_TRUE(Verify(ec_->Token(Payload(300, absl::StrCat(R"(,"nbf":)", now + 30)))).ok());
  const std::string future_iat = absl::StrReplaceAll(
      Payload(600), {{absl::StrCat(R"("iat":)", now), absl::StrCat(R"("iat":)", now + 300)}});
  EXPECT_NE(Reason(Verify(ec_->Token(future_iat))).find("iat"), std::string::npos);
  const std::string no_exp = absl::StrCat(R"({"iss":"https://idp.example","aud":"bridge","sub":"u1"})");
  EXPECT_NE(Reason(Verify(ec_->Token(no_exp))).find("no exp"), std::string::npos);
}

TEST_F(JwtTest, IssuerAudienceAzpAndNonceMustBeOurs) {
  auto wrong_issuer = ec_->Token(absl::StrReplaceAll(Payload(), {{"https://idp.example", "https://evil.example"}}));
  EXPECT_NE(Reason(Verify(wrong_issuer)).find("wrong issuer"), std::string::npos);
  auto wrong_audience = ec_->Token(absl::StrReplaceAll(Payload(), {{R"("aud":"bridge")", R"("aud":"other")"}}));
  EXPECT_NE(Reason(Verify(wrong_audience)).find("wrong audience"), std::string::npos);
  auto several = absl::StrReplaceAll(Payload(), {{R"("aud":"bridge")", R"("aud":["other","bridge"])"}});
  EXPECT_NE(Reason(Verify(ec_->Token(several))).find("azp"), std::string::npos);
  EXPECT_TRUE(Verify(ec_->Token(several.substr(0, several.size() - 1) + R"(,"azp":"bridge"})")).ok());
  auto with_nonce = ec_->Token(Payload(300, R"(,"nonce":"n-123")"));
  EXPECT_TRUE(Verify(with_nonce, "n-123").ok());
  EXPECT_NE(Reason(Verify(with_nonce, "n-456")).find("nonce"), std::string::npos);
}

TEST_F(JwtTest, ATokenOver16KiBIsRefusedBeforeDecoding) {
  std::string big = Payload(300, absl::StrCat(R"(,"pad":")", std::string(17 * 1024, 'x'), R"(")"));
  auto refused = Verify(rsa_->Token(big));
  EXPECT_NE(Reason(refused).find("longer than"), std::string::npos) << refused.status();
}

TEST(JwksTest, AMalformedUsableKeyIsAnError) {
  EXPECT_FALSE(ParseJwks("[]").ok());
  EXPECT_FALSE(ParseJwks(R"({"keys":{}})").ok());
  EXPECT_FALSE(ParseJwks(R"({"keys":[{"kty":"RSA","kid":"k","n":"!!","e":"AQAB"}]})").ok());
  EXPECT_FALSE(ParseJwks(R"({"keys":[{"kty":"EC","crv":"P-256","kid":"k","x":"AA","y":"AA"}]})").ok());
  auto empty = ParseJwks(R"({"keys":[{"kty":"EC","crv":"P-384","x":"AA","y":"AA"}]})");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty()) << "a curve we never accept is skipped";
}

}  // namespace
}  // namespace nanokit::auth
