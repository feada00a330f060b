// The provisioned Grafana dashboard: valid JSON, every panel queries the
// provisioned datasource, and the panels operators rely on are there.
#include <fstream>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

TEST(DashboardTest, PanelsQueryTheServiceMetrics) {
  std::ifstream in(LSMS_SOURCE_DIR "/deploy/grafana/dashboards/lsms-serve.json");
  ASSERT_TRUE(in);
  auto j = nlohmann::json::parse(in, nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  std::string all;
  std::set<std::string> titles;
  for (const auto& p : j["panels"]) {
    titles.insert(p["title"].get<std::string>());
    EXPECT_EQ(p["datasource"]["uid"], "lsms-prometheus") << p["title"];
    ASSERT_FALSE(p["targets"].empty()) << p["title"];
    for (const auto& t : p["targets"]) all += t["expr"].get<std::string>() + "\n";
  }
  for (const char* m : {"lsms_requests_total", "lsms_request_duration_seconds_bucket", "lsms_batch_size",
                        "lsms_queue_requests", "lsms_device_memory_allocated_bytes", "histogram_quantile"}) {
    EXPECT_NE(all.find(m), std::string::npos) << m;
  }
  EXPECT_GE(titles.size(), 6u);
}

}  // namespace
