// Client-side connection settings shared by every lsms-client command:
// target, TLS (CA, client certificate and key), bearer token, message sizes,
// and the mapping of failures to the documented exit codes.
#ifndef LSMS_CLIENT_CONNECTION_H_
#define LSMS_CLIENT_CONNECTION_H_

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace lsms::client {

// Documented exit codes of lsms-client.
enum ExitCode {
  kExitOk = 0,
  kExitUsage = 2,
  kExitUnreachable = 3,   // UNAVAILABLE, connection refused, not serving
  kExitInvalidInput = 4,  // INVALID_ARGUMENT, UNIMPLEMENTED, unreadable local file
  kExitServerError = 5,   // INTERNAL, RESOURCE_EXHAUSTED after retries, other
  kExitDeadline = 6,      // DEADLINE_EXCEEDED
  kExitAuth = 7,          // UNAUTHENTICATED, PERMISSION_DENIED
};

int ExitCodeFor(grpc::StatusCode code);

struct ConnectionOptions {
  std::string target = "127.0.0.1:50051";
  bool tls = false;
  std::string ca_file;     // PEM roots; empty = system roots (with tls)
  std::string cert_file;   // client certificate (mTLS)
  std::string key_file;
  std::string auth_token;  // sent as "authorization: Bearer <token>"
  int max_message_bytes = 64 << 20;
};

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const ConnectionOptions& options, int channel_index = 0);

// Sets the deadline and the auth token on a call.
void PrepareContext(grpc::ClientContext* ctx, const ConnectionOptions& options, absl::Duration deadline);

// Retry policy for UNAVAILABLE and RESOURCE_EXHAUSTED only: exponential
// backoff from `initial`, doubling, capped at `max_backoff`, ±20 % jitter.
struct RetryPolicy {
  int max_attempts = 1;  // 1 = no retry
  absl::Duration initial = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(2);
};

bool IsRetryable(grpc::StatusCode code);
absl::Duration Backoff(const RetryPolicy& policy, int attempt);  // attempt ≥ 1

}  // namespace lsms::client

#endif  // LSMS_CLIENT_CONNECTION_H_
