// Authentication and authorization of every call, in gRPC's auth layer
// (grpc::AuthMetadataProcessor): it runs before any handler, for every
// service on the port — ours, reflection and health alike — and attaches the
// caller (caller.h) to the call's auth context.
//
// Policy by method (:path):
//   /grpc.health.v1.Health/*          open (load balancers and kubelets probe it)
//   /grpc.reflection.*                "admin"
//   /lsms.v1.SegmentationService/ReloadModel  "admin"
//   everything else                   "segment" (or "admin")
// No or a wrong credential → UNAUTHENTICATED; a valid caller without the
// scope → PERMISSION_DENIED. The credential is `authorization: Bearer <t>`;
// the token is never logged or echoed.
//
// gRPC runs auth metadata processors only on secure credentials, so
// authentication requires TLS (a bearer token sent in plaintext could be read
// and replayed by anyone on the path anyway).
#ifndef LSMS_SERVER_SECURITY_AUTH_PROCESSOR_H_
#define LSMS_SERVER_SECURITY_AUTH_PROCESSOR_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <grpcpp/security/auth_metadata_processor.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/security/caller.h"
#include "server/security/jwt_verifier.h"
#include "server/security/token_table.h"

namespace lsms {

struct AuthOptions {
  // Static bearer tokens (token_table.h); empty = none.
  std::string tokens_path;
  // JSON Web Tokens (jwt_verifier.h); off when jwt.keys_path is empty.
  JwtOptions jwt;

  bool enabled() const { return !tokens_path.empty() || !jwt.keys_path.empty(); }
};

// The scope `method` (a gRPC :path) needs; empty when it is open.
std::string RequiredScope(absl::string_view method);

class AuthProcessor final : public grpc::AuthMetadataProcessor {
 public:
  // Called once per refused call with the method (:path, capped at 128
  // bytes), the caller's name if it authenticated ("" otherwise) and the
  // status; used for the audit log.
  using OnRefused = std::function<void(absl::string_view method, absl::string_view caller, const absl::Status&)>;

  static absl::StatusOr<std::shared_ptr<AuthProcessor>> Create(const AuthOptions& options, OnRefused on_refused);

  // The caller, if `authorization` (the header's value) authenticates and
  // grants what `method` needs. The testable core of Process().
  absl::StatusOr<Caller> Authorize(absl::string_view method, absl::string_view authorization) const;

  bool IsBlocking() const override { return false; }
  grpc::Status Process(const InputMetadata& auth_metadata, grpc::AuthContext* context,
                       OutputMetadata* consumed_auth_metadata, OutputMetadata* response_metadata) override;

 private:
  AuthProcessor() = default;
  absl::StatusOr<Caller> Authenticate(absl::string_view authorization) const;

  std::optional<TokenTable> tokens_;
  std::optional<JwtVerifier> jwt_;
  OnRefused on_refused_;
};

}  // namespace lsms

#endif  // LSMS_SERVER_SECURITY_AUTH_PROCESSOR_H_
