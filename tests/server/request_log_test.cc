// The request log writes one JSON line per request and bounds the
// caller-chosen text in it (issue 29 row 12: an 8 MiB request id was logged whole).
#include "server/request_log.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace lsms {
namespace {

nlohmann::json LogLine(const std::string& request_id, const absl::Status& status) {
  testing::internal::CaptureStderr();
  LogRequest({"Segment", "pacs-gateway", "nano-7", request_id, status, nullptr});
  const std::string out = testing::internal::GetCapturedStderr();
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out.substr(0, 200);
  return nlohmann::json::parse(out);
}

TEST(RequestLogTest, ShortTextIsLoggedAsIs) {
  auto j = LogLine("req-1", absl::InvalidArgumentError("DICOM: no PixelData"));
  EXPECT_EQ(j["request_id"], "req-1");
  EXPECT_EQ(j["rpc"], "Segment");
  EXPECT_EQ(j["status"], "INVALID_ARGUMENT");
  EXPECT_EQ(j["error"], "DICOM: no PixelData");
  EXPECT_EQ(j["caller"], "pacs-gateway");
  EXPECT_EQ(j["model_version"], "nano-7");
}

TEST(RequestLogTest, LongRequestIdsAndErrorsAreCapped) {
  const std::string id(8 << 20, 'a'), message(1 << 20, 'b');
  auto j = LogLine(id, absl::InvalidArgumentError(message));
  const std::string logged_id = j["request_id"], logged_error = j["error"];
  EXPECT_EQ(logged_id, std::string(128, 'a') + "...(+" + std::to_string(id.size() - 128) + " bytes)");
  EXPECT_LE(logged_error.size(), 512u + 32u);
  EXPECT_EQ(logged_error.substr(0, 512), std::string(512, 'b'));
}

}  // namespace
}  // namespace lsms
