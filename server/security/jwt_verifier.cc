#include "server/security/jwt_verifier.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>


#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/png_codec.h"

namespace lsms {

struct JwtVerifier::Key {
  std::string kid;
  int type = 0;  // EVP_PKEY_RSA or EVP_PKEY_EC
  std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)> pkey{nullptr, EVP_PKEY_free};
};

namespace {

using Json = nlohmann::json;

// A string member of a JSON object, "" when absent or not a string (value()
// would throw on a wrong type, and these documents come from outside).
std::string Str(const Json& obj, const char* key, const char* fallback = "") {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : fallback;
}

absl::Status Unauth(absl::string_view why) { return absl::UnauthenticatedError(absl::StrCat("invalid JWT: ", why)); }

bool B64Url(absl::string_view in, std::string* out) {
  // absl accepts unpadded web-safe base64, which is what JWS uses.
  return absl::WebSafeBase64Unescape(in, out);
}

std::unique_ptr<BIGNUM, void (*)(BIGNUM*)> Bn(const std::string& bytes) {
  return {BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()), nullptr),
          BN_free};
}

// An EVP_PKEY from OSSL_PARAMs (OpenSSL 3's way to build a key from parts).
EVP_PKEY* FromData(const char* type, OSSL_PARAM_BLD* bld) {
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* pkey = nullptr;
  if (params && ctx && EVP_PKEY_fromdata_init(ctx) == 1) {
    if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) pkey = nullptr;
  }
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  ERR_clear_error();
  return pkey;
}

absl::StatusOr<EVP_PKEY*> JwkToKey(const Json& jwk) {
  const std::string kty = Str(jwk, "kty");
  std::unique_ptr<OSSL_PARAM_BLD, void (*)(OSSL_PARAM_BLD*)> bld(OSSL_PARAM_BLD_new(), OSSL_PARAM_BLD_free);
  if (kty == "RSA") {
    std::string n, e;
    if (!B64Url(Str(jwk, "n"), &n) || !B64Url(Str(jwk, "e"), &e) || n.empty() || e.empty()) {
      return absl::InvalidArgumentError("RSA JWK needs base64url 'n' and 'e'");
    }
    auto bn_n = Bn(n), bn_e = Bn(e);
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get());
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get());
    if (EVP_PKEY* k = FromData("RSA", bld.get())) return k;
    return absl::InvalidArgumentError("unusable RSA JWK");
  }
  if (kty == "EC") {
    if (Str(jwk, "crv") != "P-256") return absl::InvalidArgumentError("only P-256 EC JWKs are supported");
    std::string x, y;
    if (!B64Url(Str(jwk, "x"), &x) || !B64Url(Str(jwk, "y"), &y) || x.size() != 32 || y.size() != 32) {
      return absl::InvalidArgumentError("P-256 JWK needs 32-byte base64url 'x' and 'y'");
    }
    const std::string point = std::string(1, '\x04') + x + y;
    OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
    OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
    if (EVP_PKEY* k = FromData("EC", bld.get())) return k;
    return absl::InvalidArgumentError("unusable P-256 JWK (point not on the curve?)");
  }
  return absl::InvalidArgumentError(absl::StrCat("unsupported JWK kty '", kty.substr(0, 16), "'"));
}

// JWS ES256 signatures are r||s (32 bytes each); OpenSSL verifies DER.
bool EcdsaRawToDer(const std::string& raw, std::string* der) {
  if (raw.size() != 64) return false;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return false;
  }
  unsigned char* out = nullptr;
  const int len = i2d_ECDSA_SIG(sig, &out);
  ECDSA_SIG_free(sig);
  if (len <= 0) return false;
  der->assign(reinterpret_cast<char*>(out), static_cast<size_t>(len));
  OPENSSL_free(out);
  return true;
}

bool VerifySha256(EVP_PKEY* key, absl::string_view data, const std::string& sig) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok = ctx && EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
                  EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                                   reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  ERR_clear_error();
  return ok;
}

bool NumericClaim(const Json& claims, const char* name, double* out) {
  auto it = claims.find(name);
  if (it == claims.end() || !it->is_number()) return false;
  *out = it->get<double>();
  return true;
}

}  // namespace

absl::StatusOr<JwtVerifier> JwtVerifier::Create(const JwtOptions& options) {
  auto text = ReadFile(options.keys_path);
  if (!text.ok()) return absl::NotFoundError(absl::StrCat("cannot read the JWT key file ", options.keys_path));
  return FromKeys(*text, options);
}

absl::StatusOr<JwtVerifier> JwtVerifier::FromKeys(absl::string_view text, const JwtOptions& options) {
  if (options.issuer.empty() || options.audience.empty()) {
    return absl::InvalidArgumentError("JWT verification needs the expected issuer and audience");
  }
  JwtVerifier v;
  v.options_ = options;
  if (!v.options_.now) v.options_.now = [] { return absl::Now(); };
  if (absl::StrContains(text, "-----BEGIN PUBLIC KEY-----")) {
    BIO* bio = BIO_new_mem_buf(text.data(), static_cast<int>(text.size()));
    EVP_PKEY* pkey = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    ERR_clear_error();
    if (!pkey) return absl::InvalidArgumentError("the JWT key file holds no readable PEM public key");
    auto key = std::make_shared<Key>();
    key->pkey.reset(pkey);
    key->type = EVP_PKEY_get_base_id(pkey);
    if (key->type != EVP_PKEY_RSA && key->type != EVP_PKEY_EC) {
      return absl::InvalidArgumentError("JWT keys must be RSA or P-256");
    }
    v.keys_.push_back(std::move(key));
    return v;
  }
  const Json doc = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array()) {
    return absl::InvalidArgumentError("the JWT key file is neither a PEM public key nor a JWKS {\"keys\": [...]}");
  }
  for (const Json& jwk : doc["keys"]) {
    if (!jwk.is_object()) return absl::InvalidArgumentError("a JWKS entry is not an object");
    if (Str(jwk, "use", "sig") != "sig") continue;  // encryption keys do not verify tokens
    auto pkey = JwkToKey(jwk);
    if (!pkey.ok()) return pkey.status();
    auto key = std::make_shared<Key>();
    key->pkey.reset(*pkey);
    key->type = EVP_PKEY_get_base_id(*pkey);
    key->kid = Str(jwk, "kid");
    v.keys_.push_back(std::move(key));
  }
  if (v.keys_.empty()) return absl::InvalidArgumentError("the JWKS holds no signing key");
  return v;
}

absl::StatusOr<Caller> JwtVerifier::Verify(absl::string_view token) const {
  const std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) return Unauth("not three dot-separated parts");
  std::string header_text, payload_text, sig;
  if (!B64Url(parts[0], &header_text) || !B64Url(parts[1], &payload_text) || !B64Url(parts[2], &sig)) {
    return Unauth("not base64url");
  }
  const Json header = Json::parse(header_text, nullptr, false);
  const Json claims = Json::parse(payload_text, nullptr, false);
  if (!header.is_object() || !claims.is_object()) return Unauth("header or claims are not JSON objects");
  const std::string alg = Str(header, "alg");
  int want_type;
  if (alg == "RS256") {
    want_type = EVP_PKEY_RSA;
  } else if (alg == "ES256") {
    want_type = EVP_PKEY_EC;
    std::string der;
    if (!EcdsaRawToDer(sig, &der)) return Unauth("malformed ES256 signature");
    sig = std::move(der);
  } else {
    return Unauth("algorithm must be RS256 or ES256");
  }
  const std::string kid = Str(header, "kid");
  const absl::string_view signed_part = token.substr(0, parts[0].size() + 1 + parts[1].size());
  bool verified = false;
  for (const auto& key : keys_) {
    if (key->type != want_type) continue;
    if (!kid.empty() && !key->kid.empty() && key->kid != kid) continue;
    if (VerifySha256(key->pkey.get(), signed_part, sig)) {
      verified = true;
      break;
    }
  }
  if (!verified) return Unauth("bad signature or unknown key");

  const double now = absl::ToDoubleSeconds(options_.now() - absl::UnixEpoch());
  const double leeway = absl::ToDoubleSeconds(options_.leeway);
  double exp = 0, nbf = 0, iat = 0;
  if (!NumericClaim(claims, "exp", &exp)) return Unauth("no 'exp' claim");
  if (now > exp + leeway) return Unauth("expired");
  if (NumericClaim(claims, "nbf", &nbf) && now + leeway < nbf) return Unauth("not valid yet ('nbf')");
  if (NumericClaim(claims, "iat", &iat) && now + leeway < iat) return Unauth("issued in the future ('iat')");
  if (!claims.contains("iss") || !claims["iss"].is_string() || claims["iss"] != options_.issuer) {
    return Unauth("wrong issuer");
  }
  bool audience_ok = false;
  if (auto it = claims.find("aud"); it != claims.end()) {
    if (it->is_string()) audience_ok = *it == options_.audience;
    if (it->is_array()) {
      for (const Json& a : *it) audience_ok = audience_ok || (a.is_string() && a == options_.audience);
    }
  }
  if (!audience_ok) return Unauth("wrong audience");
  Caller caller;
  if (!claims.contains("sub") || !claims["sub"].is_string() || claims["sub"].get<std::string>().empty()) {
    return Unauth("no 'sub' claim");
  }
  // Callers' names reach the audit log: keep them short and printable.
  for (char c : claims["sub"].get<std::string>().substr(0, 64)) caller.name += (c >= 0x20 && c < 0x7f) ? c : '?';
  std::vector<std::string> scopes;
  if (auto it = claims.find("scope"); it != claims.end() && it->is_string()) {
    scopes = absl::StrSplit(it->get<std::string>(), ' ', absl::SkipEmpty());
  } else if (auto it2 = claims.find("scp"); it2 != claims.end() && it2->is_array()) {
    for (const Json& s : *it2) {
      if (s.is_string()) scopes.push_back(s.get<std::string>());
    }
  }
  for (const std::string& s : scopes) {
    if (s == kScopeSegment || s == kScopeAdmin) caller.scopes.insert(s);
  }
  return caller;
}

}  // namespace lsms
