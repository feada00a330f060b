#include "server/security/auth_processor.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace lsms {
namespace {

constexpr size_t kMaxReportedMethodBytes = 128;

grpc::Status ToGrpc(const absl::Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

absl::string_view Ref(const grpc::string_ref& r) { return absl::string_view(r.data(), r.size()); }

}  // namespace

std::string RequiredScope(absl::string_view method) {
  if (absl::StartsWith(method, "/grpc.health.v1.Health/")) return "";
  if (absl::StartsWith(method, "/grpc.reflection.")) return kScopeAdmin;
  if (method == "/lsms.v1.SegmentationService/ReloadModel") return kScopeAdmin;
  return kScopeSegment;
}

absl::StatusOr<std::shared_ptr<AuthProcessor>> AuthProcessor::Create(const AuthOptions& options,
                                                                     OnRefused on_refused) {
  if (!options.enabled()) return absl::InvalidArgumentError("no token file and no JWT keys configured");
  auto p = std::shared_ptr<AuthProcessor>(new AuthProcessor());
  if (!options.tokens_path.empty()) {
    auto t = TokenTable::Load(options.tokens_path);
    if (!t.ok()) return t.status();
    p->tokens_ = std::move(*t);
  }
  if (!options.jwt.keys_path.empty()) {
    auto j = JwtVerifier::Create(options.jwt);
    if (!j.ok()) return j.status();
    p->jwt_ = std::move(*j);
  }
  p->on_refused_ = std::move(on_refused);
  return p;
}

absl::StatusOr<Caller> AuthProcessor::Authenticate(absl::string_view authorization) const {
  if (authorization.empty()) {
    return absl::UnauthenticatedError("missing credentials: send 'authorization: Bearer <token>'");
  }
  // RFC 6750: the scheme is case-insensitive.
  if (authorization.size() < 7 || !absl::EqualsIgnoreCase(authorization.substr(0, 7), "bearer ")) {
    return absl::UnauthenticatedError("unsupported authorization scheme; expected 'Bearer <token>'");
  }
  const absl::string_view token = absl::StripAsciiWhitespace(authorization.substr(7));
  // A JWT is three base64url parts; a static token is anything else.
  const bool looks_like_jwt = std::count(token.begin(), token.end(), '.') == 2;
  if (jwt_ && (looks_like_jwt || !tokens_)) return jwt_->Verify(token);
  if (tokens_) return tokens_->Authenticate(token);
  return absl::UnauthenticatedError("invalid bearer token");
}

absl::StatusOr<Caller> AuthProcessor::Authorize(absl::string_view method, absl::string_view authorization) const {
  const std::string scope = RequiredScope(method);
  if (scope.empty()) return Caller{"", {}};  // open method: no credential needed
  auto caller = Authenticate(authorization);
  if (!caller.ok()) return caller.status();
  if (!caller->Has(scope)) {
    return absl::PermissionDeniedError(absl::StrCat("caller '", caller->name, "' lacks the '", scope, "' scope"));
  }
  return caller;
}

grpc::Status AuthProcessor::Process(const InputMetadata& auth_metadata, grpc::AuthContext* context,
                                    OutputMetadata* consumed_auth_metadata, OutputMetadata*) {
  absl::string_view method, authorization;
  for (const auto& [key, value] : auth_metadata) {
    if (Ref(key) == ":path") method = Ref(value);
    if (Ref(key) == "authorization") authorization = Ref(value);
  }
  auto caller = Authorize(method, authorization);
  if (!caller.ok()) {
    if (on_refused_) {
      // The caller's name, when the credential was good but the scope short.
      std::string name;
      if (caller.status().code() == absl::StatusCode::kPermissionDenied) {
        if (auto who = Authenticate(authorization); who.ok()) name = who->name;
      }
      on_refused_(method.substr(0, kMaxReportedMethodBytes), name, caller.status());
    }
    return ToGrpc(caller.status());
  }
  if (!authorization.empty()) consumed_auth_metadata->emplace("authorization", std::string(authorization));
  if (!caller->name.empty()) {
    context->AddProperty(kCallerProperty, caller->name);
    for (const std::string& s : caller->scopes) context->AddProperty(kScopeProperty, s);
  }
  return grpc::Status::OK;
}

}  // namespace lsms
