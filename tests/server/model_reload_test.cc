// Hot model reload: a real server on a loopback port (with the fake model,
// 2 ms per batch) keeps answering every request while its checkpoint is swapped; the version switch shows in the
// responses, GetModelInfo and /metrics; a failed load changes nothing.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "client/metrics_scrape.h"
#include "lsms/v1/segmentation.grpc.pb.h"
#include "server/server.h"
#include "tests/server/test_server.h"
#include "tools/synth/dicom_writer.h"
#include "tools/synth/phantom.h"

namespace lsms {
namespace {

namespace fs = std::filesystem;

class ModelReloadTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    a_ = new std::string(testing::WriteFakeCheckpoint("reload-a", "model-a"));
    b_ = new std::string(testing::WriteFakeCheckpoint("reload-b", "model-b"));
  }
  static void TearDownTestSuite() {
    fs::remove(*a_);
    fs::remove(*b_);
    delete a_;
    delete b_;
  }
  void SetUp() override {
    synth::PhantomOptions po;
    po.size = 96;
    dicom_ = *synth::EncodeCtSlice(synth::GeneratePhantom(3, po).hu, synth::CtSliceInfo{});
  }
  void Start(ServerOptions o) {
    server_ = testing::StartTestServer(o);
    ASSERT_NE(server_, nullptr);
    stub_ = lsms::v1::SegmentationService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials()));
  }
  grpc::Status Segment(lsms::v1::SegmentResponse* out) {
    lsms::v1::SegmentRequest r;
    r.set_request_id("reload");
    r.set_dicom(dicom_);
    r.set_expression("the largest lesion");
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return stub_->Segment(&ctx, r, out);
  }
  std::string InfoVersion() {
    lsms::v1::ModelInfo info;
    grpc::ClientContext ctx;
    EXPECT_TRUE(stub_->GetModelInfo(&ctx, {}, &info).ok());
    return info.version();
  }

  static std::string* a_;
  static std::string* b_;
  std::string dicom_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<lsms::v1::SegmentationService::Stub> stub_;
};
std::string* ModelReloadTest::a_ = nullptr;
std::string* ModelReloadTest::b_ = nullptr;

TEST_F(ModelReloadTest, SwapUnderLoadFailsNoRequestAndSwitchesVersionOnce) {
  testing::FakeModelOptions fake;
  fake.compute_time = absl::Milliseconds(2);
  ServerOptions o = testing::FakeServerOptions(*a_, fake);
  o.runner.batching.max_batch_size = 4;
  o.runner.cap_batch_size_by_throughput = false;
  Start(o);
  constexpr int kClients = 4;
  std::atomic<bool> stop{false};
  std::atomic<int> answered{0};
  std::vector<std::vector<std::string>> versions(kClients);
  std::vector<int> failures(kClients, 0);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      while (!stop.load()) {
        lsms::v1::SegmentResponse r;
        if (Segment(&r).ok()) {
          versions[c].push_back(r.model_version());
        } else {
          ++failures[c];
        }
        answered.fetch_add(1);
      }
    });
  }
  while (answered.load() < 20) std::this_thread::yield();
  auto reloaded = server_->ReloadModel(*b_);
  const int at_swap = answered.load();
  while (answered.load() < at_swap + 20) std::this_thread::yield();
  stop = true;
  for (auto& t : clients) t.join();

  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  EXPECT_EQ(reloaded->previous_version(), "model-a");
  EXPECT_EQ(reloaded->version(), "model-b");
  for (int c = 0; c < kClients; ++c) {
    EXPECT_EQ(failures[c], 0) << "client " << c;
    ASSERT_FALSE(versions[c].empty());
    EXPECT_EQ(versions[c].front(), "model-a");
    EXPECT_EQ(versions[c].back(), "model-b") << "client " << c;
    // Once a client saw the new model, it never sees the old one again.
    const auto first_b = std::find(versions[c].begin(), versions[c].end(), "model-b");
    EXPECT_EQ(std::count(first_b, versions[c].end(), "model-a"), 0) << "client " << c;
  }
  EXPECT_EQ(InfoVersion(), "model-b");
  auto text = client::HttpGet(absl::StrCat("http://127.0.0.1:", server_->metrics_port(), "/metrics"));
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_NE(text->find(R"(version="model-b")"), std::string::npos);
  EXPECT_EQ(text->find(R"(version="model-a")"), std::string::npos) << "the old model's info series is removed";
  EXPECT_NE(text->find(R"(lsms_model_reloads_total{result="ok"} 1)"), std::string::npos);
}

TEST_F(ModelReloadTest, AFailedLoadLeavesTheOldModelServing) {
  Start(testing::FakeServerOptions(*a_));
  const std::string garbage = ::testing::TempDir() + "/reload-garbage.safetensors";
  std::ofstream(garbage) << "not a checkpoint";
  for (const std::string& bad : {std::string("/nonexistent/model.safetensors"), garbage}) {
    auto r = server_->ReloadModel(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_FALSE(r.status().message().empty());
    lsms::v1::SegmentResponse out;
    ASSERT_TRUE(Segment(&out).ok());
    EXPECT_EQ(out.model_version(), "model-a");
    EXPECT_EQ(InfoVersion(), "model-a");
  }
  auto text = client::HttpGet(absl::StrCat("http://127.0.0.1:", server_->metrics_port(), "/metrics"));
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find(R"(lsms_model_reloads_total{result="error"} 2)"), std::string::npos);
  fs::remove(garbage);
}

TEST_F(ModelReloadTest, OneReloadAtATimeAndTheRpcNeedsAdmin) {
  // The second load blocks until released, so the overlap is certain.
  auto loads = std::make_shared<std::atomic<int>>(0);
  auto entered = std::make_shared<absl::Notification>();
  auto release = std::make_shared<absl::Notification>();
  ServerOptions o = testing::FakeServerOptions(*a_);
  o.runner.segmenter_factory = [loads, entered, release](const Segmenter::Options& m) {
    if (loads->fetch_add(1) == 1) {  // the first load is the server's own
      entered->Notify();
      release->WaitForNotification();
    }
    return testing::LoadFakeSegmenter(m);
  };
  Start(o);
  std::thread first([&] { EXPECT_TRUE(server_->ReloadModel(*b_).ok()); });
  entered->WaitForNotification();
  auto second = server_->ReloadModel(*b_);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kAborted) << second.status();
  release->Notify();
  first.join();
  EXPECT_EQ(InfoVersion(), "model-b");

  // Without authentication every caller is anonymous: no admin scope.
  lsms::v1::ReloadModelRequest req;
  lsms::v1::ReloadModelResponse resp;
  grpc::ClientContext ctx;
  auto st = stub_->ReloadModel(&ctx, req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << st.error_message();
}

}  // namespace
}  // namespace lsms
