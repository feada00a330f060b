// A real Prometheus server (Debian package prometheus) on loopback scrapes a
// real lsms-server until the service's series appear in its HTTP API.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "client/metrics_scrape.h"
#include "lsms/v1/segmentation.grpc.pb.h"
#include "server/server.h"
#include "tests/model/test_checkpoint.h"
#include "tests/server/test_server.h"

extern char** environ;

namespace lsms {
namespace {

namespace fs = std::filesystem;

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
  socklen_t len = sizeof(sa);
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  close(fd);
  return ntohs(sa.sin_port);
}

TEST(PrometheusScrapeTest, RealPrometheusSeesTheServiceSeries) {
  const std::string ckpt = testing::WriteTestCheckpoint("prom");
  auto server = testing::StartTestServer(testing::TestServerOptions(ckpt));
  ASSERT_NE(server, nullptr);
  {  // one request so that request series exist
    auto stub = lsms::v1::SegmentationService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", server->port()), grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    lsms::v1::ModelInfo info;
    ASSERT_TRUE(stub->GetModelInfo(&ctx, {}, &info).ok());
  }
  const fs::path dir = fs::temp_directory_path() / ("lsms_prom_" + std::to_string(::getpid()));
  fs::create_directories(dir / "data");
  std::ofstream(dir / "prometheus.yml") << "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: lsms\n"
                                        << "    static_configs:\n      - targets: ['127.0.0.1:"
                                        << server->metrics_port() << "']\n";
  const int web = FreePort();
  std::vector<std::string> args = {"/usr/bin/prometheus", "--config.file=" + (dir / "prometheus.yml").string(),
                                   "--storage.tsdb.path=" + (dir / "data").string(),
                                   "--web.listen-address=127.0.0.1:" + std::to_string(web), "--log.level=warn"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ), 0) << "is prometheus installed?";
  bool seen = false;
  const std::string query = absl::StrCat("http://127.0.0.1:", web, "/api/v1/query?query=lsms_model_info");
  for (int i = 0; i < 120 && !seen; ++i) {  // bounded: 60 s
    auto body = client::HttpGet(query);
    seen = body.ok() && body->find("\"status\":\"success\"") != std::string::npos &&
           body->find("\"__name__\":\"lsms_model_info\"") != std::string::npos;
    if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(500));  // polling an external process
  }
  auto up = client::HttpGet(absl::StrCat("http://127.0.0.1:", web, "/api/v1/query?query=up%7Bjob%3D%22lsms%22%7D"));
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  fs::remove_all(dir);
  fs::remove(ckpt);
  EXPECT_TRUE(seen) << "Prometheus never returned lsms_model_info";
  ASSERT_TRUE(up.ok());
  EXPECT_NE(up->find("\"1\"]"), std::string::npos) << *up;  // target up
}

}  // namespace
}  // namespace lsms
