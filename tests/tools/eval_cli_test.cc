// lsms-eval end to end: a real benchmark written by lsms-synth, the shipped
// checkpoint, the real two-pass path; the calibration sweep must agree with a
// run made at each threshold.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace lsms {
namespace {

namespace fs = std::filesystem;

int RunBinary(const std::string& binary, const std::string& args) {
  return std::system((binary + " " + args + " >/dev/null 2>&1").c_str());
}

class EvalCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("lsms_eval_cli_" + std::to_string(::getpid())));
    fs::create_directories(*dir_);
    ASSERT_EQ(RunBinary(LSMS_SYNTH_BINARY, "--out " + (*dir_ / "synth").string() + " --images 6 --seed 3"), 0);
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }
  // Runs lsms-eval on every split of the small benchmark; the report, or null.
  static nlohmann::json Eval(const std::string& name, const std::string& flags) {
    const fs::path out = *dir_ / name;
    const int rc = RunBinary(LSMS_EVAL_BINARY, "--checkpoint " LSMS_SOURCE_DIR "/models/nano/lsms-nano.safetensors --manifest " +
                                             (*dir_ / "synth" / "manifest.jsonl").string() +
                                             " --split= --ablations=false --worst 0 --out " + out.string() + " " + flags);
    if (rc != 0) return nullptr;
    return nlohmann::json::parse(std::ifstream(out / "report.json"));
  }
  static fs::path* dir_;
};

fs::path* EvalCliTest::dir_ = nullptr;

TEST_F(EvalCliTest, SweepAgreesWithARunAtEachThreshold) {
  const auto sweep = Eval("sweep", "--present_sweep 0.6,0.05,0.3");
  ASSERT_FALSE(sweep.is_null());
  const auto& rows = sweep["present_sweep"];
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_DOUBLE_EQ(rows[0]["threshold"].get<double>(), 0.05);  // sorted
  EXPECT_DOUBLE_EQ(rows[2]["threshold"].get<double>(), 0.6);
  // The run itself is at the lowest threshold.
  EXPECT_NEAR(sweep["present_threshold"].get<double>(), 0.05, 1e-6);
  EXPECT_DOUBLE_EQ(rows[0]["mIoU"].get<double>(), sweep["model"]["overall"]["mIoU"].get<double>());
  for (int i : {1, 2}) {
    const double t = rows[i]["threshold"].get<double>();
    const auto single = Eval("at" + std::to_string(i), "--present_threshold " + std::to_string(t));
    ASSERT_FALSE(single.is_null());
    const auto& m = single["model"]["overall"];
    EXPECT_NEAR(rows[i]["mIoU"].get<double>(), m["mIoU"].get<double>(), 1e-9) << "threshold " << t;
    EXPECT_NEAR(rows[i]["no_target_accuracy"].get<double>(), m["no_target_accuracy"].get<double>(), 1e-9);
    EXPECT_EQ(rows[i]["no_targets_said_present"].get<int>(),
              single["model_present_head"]["no_target_said_present"].get<int>());
  }
}

TEST_F(EvalCliTest, CalibratedThresholdFollowsTheRuleOnTheSweep) {
  const auto report = Eval("rule", "--present_sweep 0.05,0.3,0.6 --present_rule_min_no_target 0.5");
  ASSERT_FALSE(report.is_null());
  double expected = -1;
  for (const auto& r : report["present_sweep"]) {
    if (r["no_target_accuracy"].get<double>() >= 0.5) {
      expected = r["threshold"].get<double>();
      break;
    }
  }
  if (expected < 0) {  // none reaches it: the highest no-target accuracy, the lower on ties
    double best = -1;
    for (const auto& r : report["present_sweep"]) {
      if (r["no_target_accuracy"].get<double>() > best) {
        best = r["no_target_accuracy"].get<double>();
        expected = r["threshold"].get<double>();
      }
    }
  }
  EXPECT_DOUBLE_EQ(report["present_rule"]["threshold"].get<double>(), expected);
  EXPECT_DOUBLE_EQ(report["present_rule"]["min_no_target"].get<double>(), 0.5);
  EXPECT_TRUE(Eval("rule_alone", "--present_rule_min_no_target 0.5").is_null());  // needs a sweep
}

TEST_F(EvalCliTest, RejectsABadSweep) {
  EXPECT_TRUE(Eval("bad1", "--present_sweep 0.2,x").is_null());
  EXPECT_TRUE(Eval("bad2", "--present_sweep 0.2,1.5").is_null());
  EXPECT_TRUE(Eval("bad3", "--present_sweep 0.2 --present_threshold 0.3").is_null());
}

}  // namespace
}  // namespace lsms
