// The serving path end to end with the fake model (no libtorch): a real gRPC
// server on a loopback port, DICOM written by DCMTK (lsms-synth's writer).
// Quick, and the suite the sanitizer build runs over the server.
#include <thread>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "lsms/v1/segmentation.grpc.pb.h"
#include "tests/server/test_server.h"
#include "tools/synth/dicom_writer.h"
#include "tools/synth/phantom.h"

namespace lsms {
namespace {

std::string Dicom(uint64_t seed) {
  synth::PhantomOptions po;
  po.size = 96;
  return *synth::EncodeCtSlice(synth::GeneratePhantom(seed, po).hu, synth::CtSliceInfo{});
}

class ServiceFakeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { checkpoint_ = new std::string(testing::WriteFakeCheckpoint("svc", "fake-1")); }
  static void TearDownTestSuite() { delete checkpoint_; }

  void Start(int queue = 64, int series_window = 8, absl::Duration compute = absl::ZeroDuration()) {
    testing::FakeModelOptions fake;
    fake.compute_time = compute;
    ServerOptions o = testing::FakeServerOptions(*checkpoint_, fake);
    o.runner.batching.max_queue_size = queue;
    o.runner.cap_batch_size_by_throughput = false;
    o.service.series_window = series_window;
    server_ = testing::StartTestServer(o);
    ASSERT_NE(server_, nullptr);
    stub_ = lsms::v1::SegmentationService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials()));
  }
  lsms::v1::SegmentRequest Request(const std::string& id, const std::string& expression, uint64_t seed = 1) {
    lsms::v1::SegmentRequest r;
    r.set_request_id(id);
    r.set_dicom(Dicom(seed));
    r.set_expression(expression);
    return r;
  }
  grpc::Status Call(const lsms::v1::SegmentRequest& r, lsms::v1::SegmentResponse* out) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return stub_->Segment(&ctx, r, out);
  }

  static std::string* checkpoint_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<lsms::v1::SegmentationService::Stub> stub_;
};
std::string* ServiceFakeTest::checkpoint_ = nullptr;

TEST_F(ServiceFakeTest, SegmentAnswersWithTheModelsVersionAndAMask) {
  Start();
  lsms::v1::SegmentResponse r;
  ASSERT_TRUE(Call(Request("a", "the largest lesion"), &r).ok());
  EXPECT_EQ(r.request_id(), "a");
  EXPECT_EQ(r.model_version(), "fake-1");
  EXPECT_NEAR(r.target_present(), 0.9f, 1e-6);
  ASSERT_TRUE(Call(Request("b", "nothing"), &r).ok());
  EXPECT_NEAR(r.target_present(), 0.1f, 1e-6);
}

TEST_F(ServiceFakeTest, BadInputAndModelFailuresGetTheirStatusAndTheServerKeepsServing) {
  Start();
  lsms::v1::SegmentResponse r;
  lsms::v1::SegmentRequest garbage = Request("g", "the largest lesion");
  garbage.set_dicom("not dicom");
  EXPECT_EQ(Call(garbage, &r).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Call(Request("e", ""), &r).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Call(Request("t", "the tumor"), &r).error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(Call(Request("n", "the nodule"), &r).error_code(), grpc::StatusCode::INTERNAL) << "a throwing model";
  EXPECT_TRUE(Call(Request("ok", "the largest lesion"), &r).ok());
}

TEST_F(ServiceFakeTest, SeriesLargerThanTheWindowCompletesEverySlice) {
  Start(/*queue=*/16, /*series_window=*/3, absl::Milliseconds(1));
  grpc::ClientContext ctx;
  auto stream = stub_->SegmentSeries(&ctx);
  constexpr int kSlices = 40;
  std::thread writer([&] {
    for (int i = 0; i < kSlices; ++i) stream->Write(Request(absl::StrCat("s", i), "the largest lesion", i % 3));
    stream->WritesDone();
  });
  int ok = 0, failed = 0;
  lsms::v1::SegmentResponse r;
  while (stream->Read(&r)) (r.has_status() && r.status().code() != 0 ? failed : ok)++;
  writer.join();
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(ok, kSlices);
  EXPECT_EQ(failed, 0);
}

TEST_F(ServiceFakeTest, ConcurrentClientsAllGetExactlyOneAnswerAndShutdownDrains) {
  Start(/*queue=*/256, 8, absl::Milliseconds(1));
  constexpr int kThreads = 6, kEach = 10;
  std::atomic<int> ok{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        lsms::v1::SegmentResponse r;
        (Call(Request(absl::StrCat(t, "-", i), "the largest lesion", i % 4), &r).ok() ? ok : other)++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load() + other.load(), kThreads * kEach);
  EXPECT_EQ(ok.load(), kThreads * kEach);
  server_->Shutdown();
  lsms::v1::SegmentResponse r;
  EXPECT_EQ(Call(Request("late", "the largest lesion"), &r).error_code(), grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace lsms
