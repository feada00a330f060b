#include "client/connection.h"

#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"
#include "common/png_codec.h"

namespace lsms::client {

int ExitCodeFor(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return kExitOk;
    case grpc::StatusCode::UNAVAILABLE: return kExitUnreachable;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::UNIMPLEMENTED:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE: return kExitInvalidInput;
    case grpc::StatusCode::DEADLINE_EXCEEDED: return kExitDeadline;
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED: return kExitAuth;
    default: return kExitServerError;
  }
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const ConnectionOptions& o, int channel_index) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(o.max_message_bytes);
  args.SetMaxSendMessageSize(o.max_message_bytes);
  // Distinct arguments keep gRPC from sharing one subchannel (one HTTP/2
  // connection) between the channels of a pool.
  args.SetInt("lsms.channel_index", channel_index);
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (o.tls || !o.ca_file.empty() || !o.cert_file.empty()) {
    grpc::SslCredentialsOptions ssl;
    if (!o.ca_file.empty()) {
      auto ca = ReadFile(o.ca_file);
      if (!ca.ok()) return ca.status();
      ssl.pem_root_certs = *ca;
    }
    if (!o.cert_file.empty() || !o.key_file.empty()) {
      auto cert = ReadFile(o.cert_file);
      auto key = ReadFile(o.key_file);
      if (!cert.ok()) return cert.status();
      if (!key.ok()) return key.status();
      ssl.pem_cert_chain = *cert;
      ssl.pem_private_key = *key;
    }
    creds = grpc::SslCredentials(ssl);
  } else {
    creds = grpc::InsecureChannelCredentials();
  }
  return grpc::CreateCustomChannel(o.target, creds, args);
}

void PrepareContext(grpc::ClientContext* ctx, const ConnectionOptions& o, absl::Duration deadline) {
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  if (!o.auth_token.empty()) ctx->AddMetadata("authorization", absl::StrCat("Bearer ", o.auth_token));
}

bool IsRetryable(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::RESOURCE_EXHAUSTED;
}

absl::Duration Backoff(const RetryPolicy& p, int attempt) {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  absl::Duration d = p.initial;
  for (int i = 1; i < attempt && d < p.max_backoff; ++i) d *= 2;
  d = std::min(d, p.max_backoff);
  return d * std::uniform_real_distribution<double>(0.8, 1.2)(rng);
}

}  // namespace lsms::client
