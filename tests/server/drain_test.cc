// SIGTERM drain of the real lsms-server binary with requests in flight:
// every accepted request is answered, and the process exits 0.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "lsms/v1/segmentation.grpc.pb.h"
#include "tests/model/test_checkpoint.h"
#include "tools/synth/dicom_writer.h"
#include "tools/synth/phantom.h"

extern char** environ;

namespace lsms {
namespace {

namespace fs = std::filesystem;

TEST(DrainTest, SigtermFinishesInFlightRequestsAndExitsZero) {
  const std::string ckpt = testing::WriteTestCheckpoint("drain");
  const std::string port_file = (fs::temp_directory_path() / ("lsms_port_" + std::to_string(::getpid()))).string();
  fs::remove(port_file);
  std::vector<std::string> args = {LSMS_SERVER_BINARY, "--checkpoint=" + ckpt, "--listen=127.0.0.1:0",
                                   "--device=cpu", "--max_batch_size=1", "--cap_batch_by_throughput=false",
                                   "--port_file=" + port_file, "--metrics_listen=127.0.0.1:0", "--drain_grace=30s"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ), 0);

  // Wait (bounded) for the port file and then for SERVING.
  std::string port;
  std::shared_ptr<grpc::Channel> channel;
  bool serving = false;
  for (int i = 0; i < 600 && !serving; ++i) {
    if (port.empty()) {
      std::ifstream(port_file) >> port;
      if (!port.empty()) {
        channel = grpc::CreateChannel("127.0.0.1:" + port, grpc::InsecureChannelCredentials());
      }
    }
    if (channel) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
      grpc::health::v1::HealthCheckResponse r;
      auto st = grpc::health::v1::Health::NewStub(channel)->Check(&ctx, {}, &r);
      serving = st.ok() && r.status() == grpc::health::v1::HealthCheckResponse::SERVING;
    }
    if (!serving) std::this_thread::sleep_for(std::chrono::milliseconds(100));  // polling an external process
  }
  ASSERT_TRUE(serving) << "server did not become SERVING";

  synth::PhantomOptions o;
  o.size = 128;
  synth::CtSliceInfo info;
  const std::string dicom = *synth::EncodeCtSlice(synth::GeneratePhantom(1, o).hu, info);
  auto stub = lsms::v1::SegmentationService::NewStub(channel);
  constexpr int kRequests = 8;
  std::vector<std::future<grpc::Status>> inflight;
  std::atomic<int> sent{0};
  for (int i = 0; i < kRequests; ++i) {
    inflight.push_back(std::async(std::launch::async, [&, i] {
      lsms::v1::SegmentRequest req;
      req.set_request_id(absl::StrCat("d", i));
      req.set_dicom(dicom);
      req.set_expression("the largest lesion");
      lsms::v1::SegmentResponse resp;
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
      ++sent;
      return stub->Segment(&ctx, req, &resp);
    }));
  }
  while (sent.load() < kRequests) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let them reach the queue
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int ok = 0, unavailable = 0;
  for (auto& f : inflight) {
    auto st = f.get();
    if (st.ok()) ++ok;
    // A request that raced SIGTERM is refused, never lost.
    if (st.error_code() == grpc::StatusCode::UNAVAILABLE) ++unavailable;
  }
  EXPECT_EQ(ok + unavailable, kRequests);
  EXPECT_GT(ok, 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  fs::remove(ckpt);
  fs::remove(port_file);
}

}  // namespace
}  // namespace lsms
