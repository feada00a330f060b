#include "server/security/caller.h"

#include <grpcpp/security/auth_context.h>

namespace lsms {

Caller CallerOf(const grpc::ServerContextBase& context) {
  const std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (!auth) return AnonymousCaller();
  const auto names = auth->FindPropertyValues(kCallerProperty);
  if (names.empty()) return AnonymousCaller();
  Caller caller;
  caller.name.assign(names.front().data(), names.front().size());
  for (const auto& s : auth->FindPropertyValues(kScopeProperty)) caller.scopes.emplace(s.data(), s.size());
  return caller;
}

}  // namespace lsms
