// lsms-client against a real server on loopback: the real binary, run as a
// user would, with its exit codes and output files checked.
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/png_codec.h"
#include "server/server.h"
#include "tests/model/test_checkpoint.h"
#include "tests/server/test_server.h"
#include "tools/synth/dicom_writer.h"
#include "tools/synth/phantom.h"

namespace lsms {
namespace {

namespace fs = std::filesystem;

int RunClient(const std::string& args) {
  const int rc = std::system((std::string(LSMS_CLIENT_BINARY) + " " + args + " >/dev/null 2>&1").c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lsms_client_" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "in");
    for (int i = 0; i < 2; ++i) {
      synth::PhantomOptions o;
      o.size = 96;
      synth::CtSliceInfo info;
      info.spacing_mm = 0.8;
      ASSERT_TRUE(WriteFile((dir_ / "in" / absl::StrCat("s", i, ".dcm")).string(),
                            *synth::EncodeCtSlice(synth::GeneratePhantom(30 + i, o).hu, info))
                      .ok());
    }
    checkpoint_ = testing::WriteTestCheckpoint("client");
    server_ = testing::StartTestServer(testing::TestServerOptions(checkpoint_));
    ASSERT_NE(server_, nullptr);
    target_ = absl::StrCat("--target=127.0.0.1:", server_->port());
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
    fs::remove(checkpoint_);
  }

  fs::path dir_;
  std::string checkpoint_, target_;
  std::unique_ptr<Server> server_;
};

TEST_F(ClientTest, SegmentWritesValidPngAndJson) {
  const fs::path out = dir_ / "out";
  ASSERT_EQ(RunClient(absl::StrCat("segment ", target_, " --input=", (dir_ / "in" / "s0.dcm").string(),
                             " --expression='the largest lesion' --out=", out.string())),
            0);
  auto mask = DecodePng(*ReadFile((out / "s0_mask.png").string()));
  ASSERT_TRUE(mask.ok()) << mask.status();
  EXPECT_EQ(mask->width, 96);
  auto overlay = DecodePng(*ReadFile((out / "s0_overlay.png").string()));
  ASSERT_TRUE(overlay.ok());
  EXPECT_EQ(overlay->channels, 3);
  std::ifstream in(out / "s0.json");
  auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j["status"]["code"], 0);
  EXPECT_EQ(j["mask"]["width"], 96);
  EXPECT_TRUE(j.contains("confidence"));
  EXPECT_TRUE(j.contains("area_mm2") || j["pixel_count"] == 0);
}

TEST_F(ClientTest, SegmentOfAFolderStreamsTheSeries) {
  const fs::path out = dir_ / "series";
  ASSERT_EQ(RunClient(absl::StrCat("segment ", target_, " --input=", (dir_ / "in").string(),
                             " --expression='all lesions' --out=", out.string())),
            0);
  EXPECT_TRUE(fs::exists(out / "s0.json"));
  EXPECT_TRUE(fs::exists(out / "s1.json"));
}

TEST_F(ClientTest, BenchCsvCountsMatchWhatTheServerAnswered) {
  const fs::path csv = dir_ / "bench.csv";
  ASSERT_EQ(RunClient(absl::StrCat("bench ", target_, " --input=", (dir_ / "in").string(),
                             " --concurrency=1,2 --warmup=200ms --window=300ms --max_windows=3 --max_requests=40",
                             " --expressions='the lesion of this series' --metrics_url=http://127.0.0.1:",
                             server_->metrics_port(), "/metrics --csv=", csv.string(),
                             " --json=", (dir_ / "bench.json").string())),
            0);
  std::ifstream in(csv);
  std::string header, line;
  std::getline(in, header);
  std::vector<std::string> cols = absl::StrSplit(header, ',');
  const auto completed_col = std::find(cols.begin(), cols.end(), "completed") - cols.begin();
  const auto errors_col = std::find(cols.begin(), cols.end(), "errors") - cols.begin();
  const auto hit_rate_col = std::find(cols.begin(), cols.end(), "scraped_cache_hit_rate") - cols.begin();
  ASSERT_LT(hit_rate_col, static_cast<std::ptrdiff_t>(cols.size()));
  int64_t completed = 0, errors = 0, rows = 0;
  double last_hit_rate = -1;
  while (std::getline(in, line)) {
    std::vector<std::string> f = absl::StrSplit(line, ',');
    completed += std::stoll(f[completed_col]);
    errors += std::stoll(f[errors_col]);
    last_hit_rate = std::stod(f[hit_rate_col]);
    ++rows;
  }
  // One expression over the series: by the second level its words are cached,
  // so every lookup the server made in that window hit.
  EXPECT_DOUBLE_EQ(last_hit_rate, 1.0);
  EXPECT_EQ(rows, 2);
  EXPECT_GT(completed, 0);
  EXPECT_EQ(errors, 0);
  // Every request the bench counts was scheduled and answered by the server.
  EXPECT_EQ(completed, server_->runner().stats().scheduled);
}

TEST_F(ClientTest, UnreachableServerGivesExitCode3) {
  EXPECT_EQ(RunClient("info --target=127.0.0.1:1 --deadline=2s"), 3);
  EXPECT_EQ(RunClient(absl::StrCat("segment --target=127.0.0.1:1 --deadline=2s --retries=0 --input=",
                             (dir_ / "in" / "s0.dcm").string(), " --expression=x --out=", (dir_ / "o").string())),
            3);
}

TEST_F(ClientTest, ExpiredDeadlineGivesExitCode6) {
  EXPECT_EQ(RunClient(absl::StrCat("segment ", target_, " --deadline=1ms --input=", (dir_ / "in" / "s0.dcm").string(),
                             " --expression=x --out=", (dir_ / "o").string())),
            6);
}

TEST_F(ClientTest, UsageErrorsGiveExitCode2) {
  EXPECT_EQ(RunClient("nonsense"), 2);
  EXPECT_EQ(RunClient(absl::StrCat("segment ", target_, " --input=", (dir_ / "in").string())), 2);  // no expression
}

}  // namespace
}  // namespace lsms
