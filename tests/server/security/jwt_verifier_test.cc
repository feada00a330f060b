// JWT verification: tokens are signed here with freshly generated RSA and
// P-256 keys (OpenSSL), so every expectation follows from the claims set.
#include "server/security/jwt_verifier.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace lsms {
namespace {

using Json = nlohmann::json;

struct KeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyDeleter>;

std::string B64(const std::string& s) {
  std::string out;
  absl::WebSafeBase64Escape(s, &out);  // unpadded, as JWS wants
  return out;
}

std::string PemPublic(EVP_PKEY* k) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, k);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(n));
  BIO_free(bio);
  return pem;
}

std::string BnParam(EVP_PKEY* k, const char* name) {
  BIGNUM* bn = nullptr;
  EVP_PKEY_get_bn_param(k, name, &bn);
  std::string out(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

// Signs header.payload with SHA-256; ES256 signatures are re-encoded r||s.
std::string Sign(EVP_PKEY* k, const std::string& alg, const Json& claims, const std::string& kid = "") {
  Json header = {{"alg", alg}, {"typ", "JWT"}};
  if (!kid.empty()) header["kid"] = kid;
  const std::string input = B64(header.dump()) + "." + B64(claims.dump());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, k);
  EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size());
  std::string sig(len, '\0');
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                 reinterpret_cast<const unsigned char*>(input.data()), input.size());
  sig.resize(len);
  EVP_MD_CTX_free(ctx);
  if (alg == "ES256") {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(sig.data());
    ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
    std::string raw(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(es), reinterpret_cast<unsigned char*>(raw.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(es), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
    ECDSA_SIG_free(es);
    sig = raw;
  }
  return input + "." + B64(sig);
}

class JwtVerifierTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_ = EVP_RSA_gen(2048);
    ec_ = EVP_EC_gen("P-256");
  }
  static void TearDownTestSuite() {
    EVP_PKEY_free(rsa_);
    EVP_PKEY_free(ec_);
  }

  JwtOptions Options() const {
    JwtOptions o;
    o.issuer = "https://idp.hospital.example";
    o.audience = "lsms-serve";
    o.now = [this] { return now_; };
    return o;
  }
  Json Claims() const {
    const int64_t t = absl::ToUnixSeconds(now_);
    return {{"iss", "https://idp.hospital.example"}, {"aud", "lsms-serve"}, {"sub", "pacs-gateway"},
            {"iat", t - 10}, {"exp", t + 300}, {"scope", "openid segment"}};
  }

  static EVP_PKEY* rsa_;
  static EVP_PKEY* ec_;
  absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
};
EVP_PKEY* JwtVerifierTest::rsa_ = nullptr;
EVP_PKEY* JwtVerifierTest::ec_ = nullptr;

TEST_F(JwtVerifierTest, AcceptsAnRs256TokenFromAPemKey) {
  auto v = JwtVerifier::FromKeys(PemPublic(rsa_), Options());
  ASSERT_TRUE(v.ok()) << v.status();
  auto caller = v->Verify(Sign(rsa_, "RS256", Claims()));
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->name, "pacs-gateway");
  EXPECT_EQ(caller->scopes, std::set<std::string>{"segment"}) << "unknown scopes (openid) are dropped";
}

TEST_F(JwtVerifierTest, AcceptsAnEs256TokenFromAJwksPickedByKid) {
  std::string point(65, '\0');
  size_t len = 0;
  EVP_PKEY_get_octet_string_param(ec_, OSSL_PKEY_PARAM_PUB_KEY, reinterpret_cast<unsigned char*>(point.data()),
                                  point.size(), &len);
  ASSERT_EQ(len, 65u);
  const Json jwks = {{"keys",
                      {{{"kty", "RSA"}, {"kid", "r1"}, {"n", B64(BnParam(rsa_, "n"))}, {"e", B64(BnParam(rsa_, "e"))}},
                       {{"kty", "EC"}, {"kid", "e1"}, {"crv", "P-256"}, {"x", B64(point.substr(1, 32))},
                        {"y", B64(point.substr(33, 32))}},
                       {{"kty", "RSA"}, {"use", "enc"}, {"n", "AQAB"}, {"e", "AQAB"}}}}};
  auto v = JwtVerifier::FromKeys(jwks.dump(), Options());
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->key_count(), 2u) << "the encryption key is skipped";
  Json claims = Claims();
  claims.erase("scope");
  claims["scp"] = {"admin"};
  claims["aud"] = {"other", "lsms-serve"};
  auto caller = v->Verify(Sign(ec_, "ES256", claims, "e1"));
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_TRUE(caller->Has(kScopeAdmin));
  auto rsa_caller = v->Verify(Sign(rsa_, "RS256", Claims(), "r1"));
  EXPECT_TRUE(rsa_caller.ok()) << rsa_caller.status();
  // The right key under another kid is not tried.
  EXPECT_FALSE(v->Verify(Sign(ec_, "ES256", claims, "r1")).ok());
}

TEST_F(JwtVerifierTest, ChecksTimeIssuerAudienceAndSubject) {
  auto v = JwtVerifier::FromKeys(PemPublic(rsa_), Options());
  ASSERT_TRUE(v.ok());
  const int64_t t = absl::ToUnixSeconds(now_);
  struct Case {
    const char* name;
    std::function<void(Json&)> edit;
    const char* expect;  // empty = accepted
  } cases[] = {
      {"expired beyond the leeway", [&](Json& c) { c["exp"] = t - 61; }, "expired"},
      {"expired within the leeway", [&](Json& c) { c["exp"] = t - 59; }, ""},
      {"no exp", [](Json& c) { c.erase("exp"); }, "no 'exp'"},
      {"exp not a number", [](Json& c) { c["exp"] = "soon"; }, "no 'exp'"},
      {"nbf ahead", [&](Json& c) { c["nbf"] = t + 120; }, "not valid yet"},
      {"iat ahead", [&](Json& c) { c["iat"] = t + 120; }, "issued in the future"},
      {"wrong issuer", [](Json& c) { c["iss"] = "https://evil.example"; }, "wrong issuer"},
      {"issuer not a string", [](Json& c) { c["iss"] = 7; }, "wrong issuer"},
      {"wrong audience", [](Json& c) { c["aud"] = "grafana"; }, "wrong audience"},
      {"no audience", [](Json& c) { c.erase("aud"); }, "wrong audience"},
      {"no subject", [](Json& c) { c.erase("sub"); }, "no 'sub'"},
  };
  for (const Case& c : cases) {
    Json claims = Claims();
    c.edit(claims);
    auto r = v->Verify(Sign(rsa_, "RS256", claims));
    if (std::string(c.expect).empty()) {
      EXPECT_TRUE(r.ok()) << c.name << ": " << r.status();
    } else {
      EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated) << c.name;
      EXPECT_NE(r.status().message().find(c.expect), std::string::npos) << c.name << ": " << r.status();
    }
  }
}

TEST_F(JwtVerifierTest, RefusesForgedTamperedAndMalformedTokens) {
  auto v = JwtVerifier::FromKeys(PemPublic(rsa_), Options());
  ASSERT_TRUE(v.ok());
  const std::string good = Sign(rsa_, "RS256", Claims());
  // Payload swapped for one granting admin, signature kept.
  Json admin = Claims();
  admin["scope"] = "admin";
  const size_t dot1 = good.find('.'), dot2 = good.rfind('.');
  const std::string tampered = good.substr(0, dot1 + 1) + B64(admin.dump()) + good.substr(dot2);
  const std::string unsigned_token = B64(R"({"alg":"none"})") + "." + B64(Claims().dump()) + ".";
  const std::string hs256 = B64(R"({"alg":"HS256"})") + "." + B64(Claims().dump()) + "." + B64("x");
  const std::string numeric_alg = B64(R"({"alg":7})") + "." + B64(Claims().dump()) + "." + B64("x");
  Key other(EVP_RSA_gen(2048));
  for (const std::string& bad :
       {tampered, unsigned_token, hs256, numeric_alg, Sign(other.get(), "RS256", Claims()),
        Sign(ec_, "ES256", Claims()), std::string("a.b"), std::string("..."), std::string("e30.e30.e30"),
        B64("not json") + "." + B64("x") + "." + B64("y"), good + "x"}) {
    auto r = v->Verify(bad);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated) << bad.substr(0, 40);
  }
}

TEST_F(JwtVerifierTest, RefusesBadConfiguration) {
  JwtOptions no_issuer = Options();
  no_issuer.issuer.clear();
  EXPECT_EQ(JwtVerifier::FromKeys(PemPublic(rsa_), no_issuer).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(JwtVerifier::FromKeys("hello", Options()).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(JwtVerifier::FromKeys(R"({"keys": []})", Options()).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(JwtVerifier::FromKeys(R"({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]})", Options()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(JwtVerifier::FromKeys(R"({"keys": [{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}]})", Options())
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  JwtOptions missing = Options();
  missing.keys_path = "/nonexistent/jwks.json";
  EXPECT_EQ(JwtVerifier::Create(missing).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace lsms
