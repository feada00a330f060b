// The gRPC port with TLS, mutual TLS and bearer tokens: a real server on a
// loopback port (with the fake model: the model plays no part here),
// certificates made by the openssl CLI (make_test_pki.sh), real gRPC clients.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "lsms/v1/segmentation.grpc.pb.h"
#include "server/security/token_table.h"
#include "server/server.h"
#include "tests/server/test_server.h"
#include "tools/synth/dicom_writer.h"
#include "tools/synth/phantom.h"

namespace lsms {
namespace {

namespace fs = std::filesystem;

std::string Read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string TokenLine(const std::string& name, const std::string& token, const std::string& scopes) {
  const auto d = Sha256(token);
  return absl::StrCat(name, " sha256:", absl::BytesToHexString(std::string(d.begin(), d.end())), " ", scopes, "\n");
}

// Secrets and identifiers that must never reach the log.
constexpr char kSegmentToken[] = "tok-SEGMENT-5f1c9e0a";
constexpr char kAdminToken[] = "tok-ADMIN-77ab03d2";
constexpr char kPatientId[] = "MRN-99887766";
constexpr char kExpression[] = "the hypodense lesion of Jane Doe in segment seven";

class SecureServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    checkpoint_ = new std::string(testing::WriteFakeCheckpoint("secure", "test-checkpoint",
                                                                "lsms-train --out /private/runs/test", "/private/data/test"));
    pki_ = new fs::path(fs::path(::testing::TempDir()) / absl::StrCat("lsms-pki-", ::getpid()));
    ASSERT_EQ(std::system(absl::StrCat(LSMS_PKI_SCRIPT, " ", pki_->string()).c_str()), 0);
    std::ofstream(*pki_ / "tokens") << "# test callers\n"
                                     << TokenLine("gw", kSegmentToken, "segment")
                                     << TokenLine("ops", kAdminToken, "admin");
  }
  static void TearDownTestSuite() {
    fs::remove(*checkpoint_);
    fs::remove_all(*pki_);
    delete checkpoint_;
    delete pki_;
  }

  // The server's files live in their own folder so that rotation can
  // overwrite them.
  ServerOptions Options(bool mutual, bool tokens) {
    const fs::path dir = *pki_ / absl::StrCat("server-", ++servers_);
    fs::create_directories(dir);
    fs::copy_file(*pki_ / "server1.pem", dir / "cert.pem");
    fs::copy_file(*pki_ / "server1.key", dir / "key.pem");
    server_dir_ = dir;
    ServerOptions o = testing::FakeServerOptions(*checkpoint_);
    o.enable_metrics = false;
    o.tls.cert_path = (dir / "cert.pem").string();
    o.tls.key_path = (dir / "key.pem").string();
    if (mutual) o.tls.client_ca_path = (*pki_ / "ca1.pem").string();
    o.tls.reload_interval = absl::Seconds(1);
    if (tokens) o.auth.tokens_path = (*pki_ / "tokens").string();
    return o;
  }

  std::shared_ptr<grpc::Channel> Channel(const std::string& ca, const std::string& client = "") {
    grpc::SslCredentialsOptions ssl;
    if (!ca.empty()) ssl.pem_root_certs = Read(*pki_ / (ca + ".pem"));
    if (!client.empty()) {
      ssl.pem_cert_chain = Read(*pki_ / (client + ".pem"));
      ssl.pem_private_key = Read(*pki_ / (client + ".key"));
    }
    grpc::ChannelArguments args;
    args.SetInt("lsms.test_channel", ++channels_);  // a fresh connection each
    return grpc::CreateCustomChannel(absl::StrCat("localhost:", server_->port()), grpc::SslCredentials(ssl), args);
  }
  std::shared_ptr<grpc::Channel> Plaintext() {
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials());
  }

  static grpc::Status Info(const std::shared_ptr<grpc::Channel>& ch, lsms::v1::ModelInfo* info,
                           const std::string& token = "") {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!token.empty()) ctx.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    return lsms::v1::SegmentationService::NewStub(ch)->GetModelInfo(&ctx, {}, info);
  }
  static grpc::StatusCode InfoCode(const std::shared_ptr<grpc::Channel>& ch, const std::string& token = "") {
    lsms::v1::ModelInfo info;
    return Info(ch, &info, token).error_code();
  }

  static std::string* checkpoint_;
  static fs::path* pki_;
  std::unique_ptr<Server> server_;
  fs::path server_dir_;
  static int servers_;
  int channels_ = 0;
};
std::string* SecureServerTest::checkpoint_ = nullptr;
fs::path* SecureServerTest::pki_ = nullptr;
int SecureServerTest::servers_ = 0;

TEST_F(SecureServerTest, TlsRefusesPlaintextAndStrangersAndServesTrustingClients) {
  server_ = testing::StartTestServer(Options(/*mutual=*/false, /*tokens=*/false));
  ASSERT_NE(server_, nullptr);
  EXPECT_EQ(InfoCode(Plaintext()), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(InfoCode(Channel("ca2")), grpc::StatusCode::UNAVAILABLE) << "a client trusting another CA";
  EXPECT_EQ(InfoCode(Channel("ca1")), grpc::StatusCode::OK);
  // Reflection is off unless asked for.
  EXPECT_EQ(testing::RawUnaryCall(Channel("ca1"), "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                    std::string("\x3a\x00", 2), "")
                .error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
}

TEST_F(SecureServerTest, MutualTlsRequiresAClientCertificateFromTheConfiguredCa) {
  server_ = testing::StartTestServer(Options(/*mutual=*/true, /*tokens=*/false));
  ASSERT_NE(server_, nullptr);
  EXPECT_EQ(InfoCode(Plaintext()), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(InfoCode(Channel("ca1")), grpc::StatusCode::OK) << "no client certificate";
  EXPECT_NE(InfoCode(Channel("ca1", "client2")), grpc::StatusCode::OK) << "a client certificate from another CA";
  EXPECT_EQ(InfoCode(Channel("ca1", "client1")), grpc::StatusCode::OK);
}

TEST_F(SecureServerTest, RotatedCertificatesAreServedWithoutDroppingOpenConnections) {
  server_ = testing::StartTestServer(Options(/*mutual=*/false, /*tokens=*/false));
  ASSERT_NE(server_, nullptr);
  auto before = Channel("ca1");
  ASSERT_EQ(InfoCode(before), grpc::StatusCode::OK);
  // Rotate: the new certificate comes from another CA, so a client that
  // trusts only that CA tells which certificate new handshakes get.
  fs::copy_file(*pki_ / "server2.key", server_dir_ / "key.new");
  fs::copy_file(*pki_ / "server2.pem", server_dir_ / "cert.new");
  fs::rename(server_dir_ / "key.new", server_dir_ / "key.pem");
  fs::rename(server_dir_ / "cert.new", server_dir_ / "cert.pem");
  bool rotated = false;
  for (int i = 0; i < 60 && !rotated; ++i) {  // the files are re-read every second
    rotated = InfoCode(Channel("ca2")) == grpc::StatusCode::OK;
    if (!rotated) std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_TRUE(rotated) << "the new certificate was not served within 15 s";
  EXPECT_EQ(InfoCode(Channel("ca1")), grpc::StatusCode::UNAVAILABLE) << "new handshakes get the new certificate";
  EXPECT_EQ(InfoCode(before), grpc::StatusCode::OK) << "the connection opened before the rotation still works";
}

TEST_F(SecureServerTest, TokensAuthenticateEveryRpcAndScopesGateAdminDetails) {
  ServerOptions o = Options(/*mutual=*/false, /*tokens=*/true);
  o.reflection = true;
  server_ = testing::StartTestServer(o);
  ASSERT_NE(server_, nullptr);
  auto ch = Channel("ca1");
  EXPECT_EQ(InfoCode(ch), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(InfoCode(ch, "tok-wrong"), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(InfoCode(ch, std::string(kSegmentToken) + "x"), grpc::StatusCode::UNAUTHENTICATED);

  lsms::v1::ModelInfo info;
  ASSERT_TRUE(Info(ch, &info, kSegmentToken).ok());
  EXPECT_EQ(info.version(), "test-checkpoint");
  EXPECT_EQ(info.provenance().training_command(), "") << "private provenance needs the admin scope";
  EXPECT_EQ(info.provenance().data(), "");
  EXPECT_EQ(info.provenance().summary().find("/private"), std::string::npos) << info.provenance().summary();
  ASSERT_TRUE(Info(ch, &info, kAdminToken).ok());
  EXPECT_EQ(info.provenance().training_command(), "lsms-train --out /private/runs/test");
  EXPECT_EQ(info.provenance().data(), "/private/data/test");

  // Health stays open (load balancers and kubelets probe without tokens).
  grpc::health::v1::HealthCheckResponse health;
  {
    grpc::ClientContext ctx;
    auto hs = grpc::health::v1::Health::NewStub(ch)->Check(&ctx, {}, &health);
    EXPECT_TRUE(hs.ok()) << hs.error_message();
    EXPECT_EQ(health.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  }
  // Reflection (list_services) only for admins.
  const std::string method = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";
  const std::string list_services("\x3a\x00", 2);
  EXPECT_EQ(testing::RawUnaryCall(ch, method, list_services, "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(testing::RawUnaryCall(ch, method, list_services, kSegmentToken).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(testing::RawUnaryCall(ch, method, list_services, kAdminToken).error_code(), grpc::StatusCode::OK);

  // ReloadModel is an admin RPC.
  auto reload = [&](const std::string& token, lsms::v1::ReloadModelResponse* out) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    return lsms::v1::SegmentationService::NewStub(ch)->ReloadModel(&ctx, {}, out).error_code();
  };
  lsms::v1::ReloadModelResponse reloaded;
  EXPECT_EQ(reload(kSegmentToken, &reloaded), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(reload(kAdminToken, &reloaded), grpc::StatusCode::OK);
  EXPECT_EQ(reloaded.version(), "test-checkpoint");
  EXPECT_GT(reloaded.load_ms(), 0);
}

TEST_F(SecureServerTest, AuditLogNamesCallersAndNeverPatientDataExpressionsOrTokens) {
  server_ = testing::StartTestServer(Options(/*mutual=*/true, /*tokens=*/true));
  ASSERT_NE(server_, nullptr);
  auto ch = Channel("ca1", "client1");
  synth::PhantomOptions po;
  po.size = 96;
  synth::CtSliceInfo slice;
  slice.patient_id = kPatientId;
  lsms::v1::SegmentRequest request;
  request.set_request_id("audit-1");
  request.set_dicom(*synth::EncodeCtSlice(synth::GeneratePhantom(7, po).hu, slice));
  request.set_expression(kExpression);

  ::testing::internal::CaptureStderr();
  auto stub = lsms::v1::SegmentationService::NewStub(ch);
  lsms::v1::SegmentResponse response;
  grpc::Status ok_status, refused_status;
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", absl::StrCat("Bearer ", kSegmentToken));
    ok_status = stub->Segment(&ctx, request, &response);
  }
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer tok-GUESSED-0000");
    refused_status = stub->Segment(&ctx, request, &response);
  }
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(ok_status.ok()) << ok_status.error_message();
  EXPECT_EQ(refused_status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(log.find(R"("caller":"gw")"), std::string::npos) << log;
  EXPECT_NE(log.find(R"("model_version":"test-checkpoint")"), std::string::npos) << log;
  EXPECT_NE(log.find(R"("caller":"unauthenticated")"), std::string::npos) << log;
  EXPECT_NE(log.find(R"("rpc":"/lsms.v1.SegmentationService/Segment")"), std::string::npos) << log;
  for (const char* secret : {kSegmentToken, "tok-GUESSED-0000", kPatientId, "Jane", "hypodense", "SYNTH"}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << secret << " in the log:\n" << log;
  }
}

TEST_F(SecureServerTest, MisconfigurationIsAClearStartupError) {
  ServerOptions no_tls = testing::FakeServerOptions(*checkpoint_);
  no_tls.enable_metrics = false;
  no_tls.auth.tokens_path = (*pki_ / "tokens").string();
  auto s = Server::Create(no_tls);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("requires TLS"), std::string::npos) << s.status();

  ServerOptions wrong_key = Options(false, false);
  wrong_key.tls.key_path = (*pki_ / "client1.key").string();
  s = Server::Create(wrong_key);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("does not match"), std::string::npos) << s.status();

  ServerOptions missing = Options(false, false);
  missing.tls.cert_path = (*pki_ / "absent.pem").string();
  EXPECT_EQ(Server::Create(missing).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace lsms
