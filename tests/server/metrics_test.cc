// Metrics end to end: real gRPC requests, then a real HTTP scrape of the
// exposer, parsed; promtool checks the exposition.
#include <cstdlib>
#include <filesystem>
#include <map>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/metrics_scrape.h"
#include "common/png_codec.h"
#include "lsms/v1/segmentation.grpc.pb.h"
#include "server/server.h"
#include "tests/model/test_checkpoint.h"
#include "tests/server/test_server.h"
#include "tools/synth/dicom_writer.h"
#include "tools/synth/phantom.h"

namespace lsms {
namespace {

namespace fs = std::filesystem;

// Parses exposition text into "name{labels}" → value (labels as printed).
std::map<std::string, double> Parse(const std::string& text) {
  std::map<std::string, double> out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    const size_t sp = line.rfind(' ');
    double v = 0;
    if (sp != absl::string_view::npos && absl::SimpleAtod(line.substr(sp + 1), &v)) out[std::string(line.substr(0, sp))] = v;
  }
  return out;
}

TEST(ServerMetricsTest, ScrapeCountsEqualTheRequestsMade) {
  const std::string ckpt = testing::WriteTestCheckpoint("metrics");
  auto server = testing::StartTestServer(testing::TestServerOptions(ckpt));
  ASSERT_NE(server, nullptr);
  auto stub = lsms::v1::SegmentationService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", server->port()), grpc::InsecureChannelCredentials()));
  synth::PhantomOptions po;
  po.size = 96;
  synth::CtSliceInfo info;
  const std::string dicom = *synth::EncodeCtSlice(synth::GeneratePhantom(2, po).hu, info);
  const std::string url = absl::StrCat("http://127.0.0.1:", server->metrics_port(), "/metrics");
  auto warm = client::HttpGet(url);  // after warm-up, which used the cache too
  ASSERT_TRUE(warm.ok()) << warm.status();
  auto m0 = Parse(*warm);
  constexpr int kOk = 5, kBad = 2;
  for (int i = 0; i < kOk + kBad; ++i) {
    lsms::v1::SegmentRequest req;
    req.set_request_id(absl::StrCat("m", i));
    req.set_dicom(i < kOk ? dicom : std::string("garbage"));
    req.set_expression("the smallest lesion");  // not warm-up's expression
    lsms::v1::SegmentResponse resp;
    grpc::ClientContext ctx;
    EXPECT_EQ(stub->Segment(&ctx, req, &resp).ok(), i < kOk);
  }
  auto text = client::HttpGet(url);
  ASSERT_TRUE(text.ok()) << text.status();
  auto m = Parse(*text);
  EXPECT_EQ(m["lsms_requests_total{code=\"OK\",rpc=\"Segment\"}"], kOk);
  EXPECT_EQ(m["lsms_requests_total{code=\"INVALID_ARGUMENT\",rpc=\"Segment\"}"], kBad);
  EXPECT_EQ(m["lsms_rejections_total{reason=\"invalid_input\"}"], kBad);
  EXPECT_EQ(m["lsms_request_duration_seconds_count"], kOk);
  EXPECT_EQ(m["lsms_queue_duration_seconds_count"], kOk);
  EXPECT_EQ(m["lsms_inference_duration_seconds_count"], kOk);
  EXPECT_EQ(m["lsms_request_duration_seconds_bucket{le=\"+Inf\"}"], kOk);
  // Warm-up batches run outside the batcher: only the real ones count.
  EXPECT_EQ(m["lsms_inferences_total"], kOk);
  EXPECT_EQ(m["lsms_batch_size_sum"], kOk);
  EXPECT_EQ(m["lsms_ready"], 1);
  EXPECT_GT(m["process_resident_memory_bytes"], 1e6);
  EXPECT_GT(m["lsms_model_load_duration_seconds"], 0);
  EXPECT_EQ(m["lsms_queue_capacity_requests"], 256);
  // One expression, five slices one at a time: the text encoder ran once.
  EXPECT_EQ(m["lsms_expression_cache_misses_total"] - m0["lsms_expression_cache_misses_total"], 1);
  EXPECT_EQ(m["lsms_expression_cache_hits_total"] - m0["lsms_expression_cache_hits_total"], kOk - 1);
  EXPECT_EQ(m["lsms_expression_cache_entries"] - m0["lsms_expression_cache_entries"], 1);
  // No request id or patient data in any label.
  EXPECT_EQ(text->find("m0"), std::string::npos);
  EXPECT_EQ(text->find("SYNTH"), std::string::npos);

  // promtool (Debian package prometheus) lints the exposition.
  const fs::path file = fs::temp_directory_path() / ("lsms_metrics_" + std::to_string(::getpid()) + ".txt");
  ASSERT_TRUE(WriteFile(file.string(), *text).ok());
  EXPECT_EQ(std::system(("promtool check metrics < " + file.string()).c_str()), 0);
  fs::remove(file);
  fs::remove(ckpt);
}

}  // namespace
}  // namespace lsms
