// TLS and mutual TLS for the gRPC port.
//
// The server's certificate chain and key (and, for mutual TLS, the CA bundle
// that client certificates must chain to) are read from PEM files. Create()
// checks them up front — readable, parseable, key matching the certificate —
// so a mistake is a clear startup error instead of failed handshakes. The
// credentials re-read the files when they change (checked every
// reload_interval): rotating a certificate needs no restart, and connections
// already open keep their session. A rotation that leaves the files
// inconsistent (half written, key for another certificate) is ignored by gRPC
// until they are consistent again; the old certificate keeps serving.
#ifndef LSMS_SERVER_SECURITY_TLS_CREDENTIALS_H_
#define LSMS_SERVER_SECURITY_TLS_CREDENTIALS_H_

#include <memory>
#include <string>

#include <grpcpp/security/server_credentials.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace lsms {

struct TlsOptions {
  // PEM certificate chain and private key of the server; both or neither.
  std::string cert_path;
  std::string key_path;
  // PEM CA bundle; when set, every client must present a certificate that
  // chains to it (mutual TLS), else the handshake fails.
  std::string client_ca_path;
  // How often the files are checked for changes (whole seconds, >= 1).
  absl::Duration reload_interval = absl::Seconds(10);

  bool enabled() const { return !cert_path.empty() || !key_path.empty() || !client_ca_path.empty(); }
};

// Checks the files and returns server credentials that watch them. Errors:
// INVALID_ARGUMENT for an inconsistent configuration (key without
// certificate, client CA without a server certificate, interval < 1 s),
// NOT_FOUND / FAILED_PRECONDITION for unreadable or unusable files.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeTlsServerCredentials(const TlsOptions& options);

// The checks MakeTlsServerCredentials() runs, on PEM text: a certificate
// chain whose first certificate matches `key_pem`, and (if non-empty) a CA
// bundle holding at least one certificate.
absl::Status CheckTlsMaterial(const std::string& cert_pem, const std::string& key_pem, const std::string& ca_pem);

}  // namespace lsms

#endif  // LSMS_SERVER_SECURITY_TLS_CREDENTIALS_H_
