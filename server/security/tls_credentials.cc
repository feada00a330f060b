#include "server/security/tls_credentials.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>


#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include "absl/strings/str_cat.h"
#include "common/png_codec.h"
#include "common/status_macros.h"

namespace lsms {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* what) {
  auto text = ReadFile(path);
  if (!text.ok()) return absl::NotFoundError(absl::StrCat("cannot read ", what, " ", path));
  return text;
}

// OpenSSL's queued error, as text (and the queue cleared).
std::string OpenSslError() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "no PEM data";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

std::unique_ptr<BIO, BioFree> MemBio(const std::string& pem) {
  return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

}  // namespace

absl::Status CheckTlsMaterial(const std::string& cert_pem, const std::string& key_pem, const std::string& ca_pem) {
  std::unique_ptr<X509, X509Free> cert(PEM_read_bio_X509(MemBio(cert_pem).get(), nullptr, nullptr, nullptr));
  if (!cert) return absl::FailedPreconditionError(absl::StrCat("server certificate: ", OpenSslError()));
  std::unique_ptr<EVP_PKEY, PkeyFree> key(
      PEM_read_bio_PrivateKey(MemBio(key_pem).get(), nullptr, nullptr, nullptr));
  if (!key) {
    return absl::FailedPreconditionError(
        absl::StrCat("server private key (unencrypted PEM expected): ", OpenSslError()));
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::FailedPreconditionError("the server private key does not match the server certificate");
  }
  if (!ca_pem.empty()) {
    std::unique_ptr<X509, X509Free> ca(PEM_read_bio_X509(MemBio(ca_pem).get(), nullptr, nullptr, nullptr));
    if (!ca) return absl::FailedPreconditionError(absl::StrCat("client CA bundle: ", OpenSslError()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeTlsServerCredentials(const TlsOptions& o) {
  if (o.cert_path.empty() || o.key_path.empty()) {
    return absl::InvalidArgumentError(
        "TLS needs both a server certificate and its private key (--tls_cert and --tls_key)");
  }
  if (o.reload_interval < absl::Seconds(1)) {
    return absl::InvalidArgumentError("the TLS reload interval must be at least 1 s");
  }
  LSMS_ASSIGN_OR_RETURN(std::string cert, ReadPem(o.cert_path, "server certificate"));
  LSMS_ASSIGN_OR_RETURN(std::string key, ReadPem(o.key_path, "server private key"));
  std::string ca;
  if (!o.client_ca_path.empty()) {
    LSMS_ASSIGN_OR_RETURN(ca, ReadPem(o.client_ca_path, "client CA bundle"));
  }
  LSMS_RETURN_IF_ERROR(CheckTlsMaterial(cert, key, ca));

  const auto interval = static_cast<unsigned int>(absl::ToInt64Seconds(o.reload_interval));
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      o.key_path, o.cert_path, o.client_ca_path, interval);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (o.client_ca_path.empty()) {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  } else {
    options.watch_root_certs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  }
  auto creds = grpc::experimental::TlsServerCredentials(options);
  if (!creds) return absl::InternalError("gRPC refused the TLS options");
  return creds;
}

}  // namespace lsms
