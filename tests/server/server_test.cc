#include "server/server.h"

#include <cstdio>
#include <filesystem>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "lsms/v1/segmentation.grpc.pb.h"
#include "tests/model/test_checkpoint.h"
#include "tests/server/test_server.h"

namespace lsms {
namespace {

TEST(ServerTest, ServesModelInfoAndHealthOnLoopback) {
  const std::string ckpt = testing::WriteTestCheckpoint("server_info");
  auto server = Server::Create(testing::TestServerOptions(ckpt));
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*server)->port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = lsms::v1::SegmentationService::NewStub(channel);
  grpc::ClientContext ctx;
  lsms::v1::ModelInfo info;
  ASSERT_TRUE(stub->GetModelInfo(&ctx, {}, &info).ok());
  EXPECT_EQ(info.preset(), "nano");
  EXPECT_EQ(info.input_size(), 64u);
  EXPECT_EQ(info.device(), "cpu");
  EXPECT_EQ(info.version(), "test-checkpoint");
  EXPECT_GT(info.parameter_count(), 1000u);
  EXPECT_EQ(info.liver_region_margin(), 0.0f);  // a one-pass test model
  EXPECT_EQ(info.present_threshold(), 0.5f);
  EXPECT_EQ(info.peak_threshold(), 0.0f);  // off in a checkpoint that does not set it
  EXPECT_EQ(info.candidate_threshold(), 0.4f);
  EXPECT_EQ(info.selection_mask(), "product");

  auto health = grpc::health::v1::Health::NewStub(channel);
  auto check = [&health]() {
    grpc::ClientContext hctx;
    grpc::health::v1::HealthCheckResponse hr;
    EXPECT_TRUE(health->Check(&hctx, {}, &hr).ok());
    return hr.status();
  };
  // NOT_SERVING until every batch size is warmed up.
  EXPECT_EQ(check(), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  ASSERT_TRUE((*server)->WarmUp().ok());
  EXPECT_EQ(check(), grpc::health::v1::HealthCheckResponse::SERVING);
  grpc::ClientContext ictx;
  ASSERT_TRUE(stub->GetModelInfo(&ictx, {}, &info).ok());
  EXPECT_GE(info.batching().measured_size(), 1);
  EXPECT_GE(info.batching().max_batch_size(), 1u);
  (*server)->Shutdown();
  // After shutdown the server no longer answers.
  grpc::ClientContext ctx2;
  ctx2.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  EXPECT_FALSE(stub->GetModelInfo(&ctx2, {}, &info).ok());
  std::remove(ckpt.c_str());
}

TEST(ServerTest, FailsClearlyOnMissingCheckpoint) {
  ServerOptions o = testing::TestServerOptions("/nonexistent/model.safetensors");
  auto server = Server::Create(o);
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().message().find("/nonexistent/model.safetensors"), std::string::npos);
  // Without a model factory there is nothing to load: a clear error too.
  o.runner.segmenter_factory = nullptr;
  server = Server::Create(o);
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().message().find("segmenter_factory"), std::string::npos) << server.status();
}

}  // namespace
}  // namespace lsms
