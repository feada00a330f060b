// Small helpers for absl::Status propagation, used by every layer.
#ifndef LSMS_COMMON_STATUS_MACROS_H_
#define LSMS_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define LSMS_CONCAT_INNER_(a, b) a##b
#define LSMS_CONCAT_(a, b) LSMS_CONCAT_INNER_(a, b)

// Returns from the enclosing function if `expr` yields a non-OK status.
#define LSMS_RETURN_IF_ERROR(expr)                 \
  do {                                             \
    ::absl::Status lsms_status_ = (expr);          \
    if (!lsms_status_.ok()) return lsms_status_;   \
  } while (0)

// `LSMS_ASSIGN_OR_RETURN(auto x, MakeX());` — assigns the value of a StatusOr or
// returns its error.
#define LSMS_ASSIGN_OR_RETURN(lhs, expr) \
  LSMS_ASSIGN_OR_RETURN_IMPL_(LSMS_CONCAT_(lsms_statusor_, __LINE__), lhs, expr)

#define LSMS_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                \
  if (!statusor.ok()) return statusor.status();          \
  lhs = std::move(statusor).value()

#endif  // LSMS_COMMON_STATUS_MACROS_H_
