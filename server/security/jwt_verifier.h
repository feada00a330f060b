// JSON Web Token (RFC 7519) bearer credentials, verified against public keys
// the operator configures: a PEM public key, or a JWKS document (RFC 7517)
// holding RSA and P-256 keys, from a file. Nothing is fetched over the
// network. Accepted: RS256 and ES256 signatures (the key's type must match
// the algorithm; "none" and HMAC are refused), `exp` required, `nbf` and
// `iat` honoured, `iss` and `aud` required to equal the configured values.
// The caller is the `sub` claim; its scopes come from `scope` (a
// space-separated string, OAuth 2.0) or `scp` (an array); unknown scopes are
// ignored.
#ifndef LSMS_SERVER_SECURITY_JWT_VERIFIER_H_
#define LSMS_SERVER_SECURITY_JWT_VERIFIER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/security/caller.h"

namespace lsms {

struct JwtOptions {
  // PEM public key or JWKS JSON file; empty disables JWTs.
  std::string keys_path;
  // Required `iss` and `aud` values (both must be set when keys_path is).
  std::string issuer;
  std::string audience;
  // Clock skew allowed on exp/nbf/iat.
  absl::Duration leeway = absl::Seconds(60);
  // Injectable clock for tests; null = absl::Now.
  std::function<absl::Time()> now;
};

class JwtVerifier {
 public:
  static absl::StatusOr<JwtVerifier> Create(const JwtOptions& options);
  // The same with the key file's text.
  static absl::StatusOr<JwtVerifier> FromKeys(absl::string_view keys_text, const JwtOptions& options);

  // The caller the token names, or UNAUTHENTICATED saying which check failed
  // (never echoing the token).
  absl::StatusOr<Caller> Verify(absl::string_view token) const;

  size_t key_count() const { return keys_.size(); }

 private:
  struct Key;
  JwtOptions options_;
  std::vector<std::shared_ptr<const Key>> keys_;
};

}  // namespace lsms

#endif  // LSMS_SERVER_SECURITY_JWT_VERIFIER_H_
