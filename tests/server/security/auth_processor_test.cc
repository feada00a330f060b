// The per-method policy of the auth layer, on its testable core.
#include "server/security/auth_processor.h"

#include <fstream>

#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace lsms {
namespace {

std::string Line(const std::string& name, const std::string& token, const std::string& scopes) {
  const auto d = Sha256(token);
  return absl::StrCat(name, " sha256:", absl::BytesToHexString(std::string(d.begin(), d.end())), " ", scopes, "\n");
}

class AuthProcessorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "/auth_processor_test_tokens";
    std::ofstream(path_) << Line("gw", "seg-token", "segment") << Line("ops", "admin-token", "admin");
    AuthOptions o;
    o.tokens_path = path_;
    auto p = AuthProcessor::Create(o, nullptr);
    ASSERT_TRUE(p.ok()) << p.status();
    processor_ = *p;
  }
  std::string path_;
  std::shared_ptr<AuthProcessor> processor_;
};

TEST_F(AuthProcessorTest, ScopesByMethod) {
  EXPECT_EQ(RequiredScope("/grpc.health.v1.Health/Check"), "");
  EXPECT_EQ(RequiredScope("/grpc.health.v1.Health/Watch"), "");
  EXPECT_EQ(RequiredScope("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"), kScopeAdmin);
  EXPECT_EQ(RequiredScope("/lsms.v1.SegmentationService/Segment"), kScopeSegment);
  EXPECT_EQ(RequiredScope("/lsms.v1.SegmentationService/GetModelInfo"), kScopeSegment);
  EXPECT_EQ(RequiredScope("/lsms.v1.SegmentationService/ReloadModel"), kScopeAdmin);
  EXPECT_EQ(RequiredScope("/unknown.Service/Method"), kScopeSegment);
  EXPECT_EQ(RequiredScope(""), kScopeSegment);
}

TEST_F(AuthProcessorTest, AuthenticatesThenChecksTheScope) {
  const std::string segment = "/lsms.v1.SegmentationService/Segment";
  const std::string reflection = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";
  auto gw = processor_->Authorize(segment, "Bearer seg-token");
  ASSERT_TRUE(gw.ok()) << gw.status();
  EXPECT_EQ(gw->name, "gw");
  EXPECT_TRUE(processor_->Authorize(segment, "bearer seg-token").ok()) << "the scheme is case-insensitive";
  EXPECT_TRUE(processor_->Authorize(segment, "Bearer admin-token").ok()) << "admin implies segment";

  EXPECT_EQ(processor_->Authorize(segment, "").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(processor_->Authorize(segment, "Bearer wrong").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(processor_->Authorize(segment, "Basic Z3c6c2VnLXRva2Vu").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(processor_->Authorize(segment, "seg-token").status().code(), absl::StatusCode::kUnauthenticated);

  auto denied = processor_->Authorize(reflection, "Bearer seg-token");
  EXPECT_EQ(denied.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(denied.status().message().find("seg-token"), std::string::npos) << "the token is never echoed";
  EXPECT_TRUE(processor_->Authorize(reflection, "Bearer admin-token").ok());
  EXPECT_TRUE(processor_->Authorize("/grpc.health.v1.Health/Check", "").ok()) << "health stays open";
}

TEST_F(AuthProcessorTest, RefusesAnEmptyConfigurationAndBadFiles) {
  EXPECT_EQ(AuthProcessor::Create(AuthOptions{}, nullptr).status().code(), absl::StatusCode::kInvalidArgument);
  AuthOptions missing;
  missing.tokens_path = "/nonexistent/tokens";
  EXPECT_EQ(AuthProcessor::Create(missing, nullptr).status().code(), absl::StatusCode::kNotFound);
  AuthOptions jwt_without_issuer;
  jwt_without_issuer.jwt.keys_path = path_;
  EXPECT_FALSE(AuthProcessor::Create(jwt_without_issuer, nullptr).ok());
}

}  // namespace
}  // namespace lsms
