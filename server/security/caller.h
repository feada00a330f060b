// Who is calling: the identity and scopes the authentication layer attached
// to a call (AuthProcessor), read back by the handlers.
#ifndef LSMS_SERVER_SECURITY_CALLER_H_
#define LSMS_SERVER_SECURITY_CALLER_H_

#include <set>
#include <string>

#include <grpcpp/server_context.h>

namespace lsms {

// Scopes. "segment": Segment, SegmentSeries, GetModelInfo. "admin":
// everything, plus ReloadModel, reflection and the training provenance in
// GetModelInfo.
inline constexpr char kScopeSegment[] = "segment";
inline constexpr char kScopeAdmin[] = "admin";

// Auth-context property names set by AuthProcessor.
inline constexpr char kCallerProperty[] = "lsms.caller";
inline constexpr char kScopeProperty[] = "lsms.scope";

struct Caller {
  std::string name;
  std::set<std::string> scopes;

  // "admin" grants every scope.
  bool Has(const std::string& scope) const { return scopes.count(scope) > 0 || scopes.count(kScopeAdmin) > 0; }
};

// Without authentication configured every caller is this one: it may
// segment, and is not an admin.
inline Caller AnonymousCaller() { return Caller{"anonymous", {kScopeSegment}}; }

// The caller attached to `context` by AuthProcessor, or AnonymousCaller()
// when none is (authentication off).
Caller CallerOf(const grpc::ServerContextBase& context);

}  // namespace lsms

#endif  // LSMS_SERVER_SECURITY_CALLER_H_
