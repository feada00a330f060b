// lsms-eval end to end: a real benchmark written by lsms-synth, the shipped
// checkpoint, the real two-pass path; the calibration sweep must agree with a
// run made at each threshold (present and peak).
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>

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
  // The peak gate off in both runs: the single run's present-head counts are the present gate's
  // alone, whatever peak threshold the shipped checkpoint carries.
  const auto sweep = Eval("sweep", "--present_sweep 0.6,0.05,0.3 --peak_threshold 0");
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
    const auto single =
        Eval("at" + std::to_string(i), "--present_threshold " + std::to_string(t) + " --peak_threshold 0");
    ASSERT_FALSE(single.is_null());
    const auto& m = single["model"]["overall"];
    EXPECT_NEAR(rows[i]["mIoU"].get<double>(), m["mIoU"].get<double>(), 1e-9) << "threshold " << t;
    EXPECT_NEAR(rows[i]["no_target_accuracy"].get<double>(), m["no_target_accuracy"].get<double>(), 1e-9);
    EXPECT_EQ(rows[i]["no_targets_said_present"].get<int>(),
              single["model_present_head"]["no_target_said_present"].get<int>());
  }
}

TEST_F(EvalCliTest, PeakSweepAgreesWithARunAtThatPeak) {
  const auto sweep = Eval("peak", "--present_sweep 0.05 --peak_sweep 0.7,0");
  ASSERT_FALSE(sweep.is_null());
  const auto& rows = sweep["present_sweep"];
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_DOUBLE_EQ(rows[0]["peak_threshold"].get<double>(), 0.0);  // sorted
  EXPECT_DOUBLE_EQ(rows[1]["peak_threshold"].get<double>(), 0.7);
  const auto single = Eval("peak_at", "--present_threshold 0.05 --peak_threshold 0.7");
  ASSERT_FALSE(single.is_null());
  EXPECT_NEAR(single["peak_threshold"].get<double>(), 0.7, 1e-6);
  const auto& m = single["model"]["overall"];
  EXPECT_NEAR(rows[1]["mIoU"].get<double>(), m["mIoU"].get<double>(), 1e-9);
  EXPECT_NEAR(rows[1]["no_target_accuracy"].get<double>(), m["no_target_accuracy"].get<double>(), 1e-9);
}

TEST_F(EvalCliTest, CalibratedGatesFollowTheRuleOnTheSweep) {
  const auto report =
      Eval("rule", "--present_sweep 0.05,0.3,0.6 --peak_sweep 0,0.7 --present_rule_min_no_target 0.5");
  ASSERT_FALSE(report.is_null());
  ASSERT_EQ(report["present_sweep"].size(), 6u);
  // The rule recomputed from the report's own rows: the best mIoU among the rows that reach 0.5
  // (none reaches it: the best no-target accuracy, then mIoU); ties to the lower peak, then present.
  const nlohmann::json* best = nullptr;
  auto key = [](const nlohmann::json& r) {
    const double nt = r["no_target_accuracy"].get<double>();
    return std::make_tuple(nt >= 0.5, nt >= 0.5 ? 0.0 : nt, r["mIoU"].get<double>(),
                           -r["peak_threshold"].get<double>(), -r["threshold"].get<double>());
  };
  for (const auto& r : report["present_sweep"]) {
    if (best == nullptr || key(r) > key(*best)) best = &r;
  }
  ASSERT_NE(best, nullptr);
  EXPECT_DOUBLE_EQ(report["present_rule"]["threshold"].get<double>(), (*best)["threshold"].get<double>());
  EXPECT_DOUBLE_EQ(report["present_rule"]["peak_threshold"].get<double>(), (*best)["peak_threshold"].get<double>());
  EXPECT_DOUBLE_EQ(report["present_rule"]["min_no_target"].get<double>(), 0.5);
  EXPECT_TRUE(Eval("rule_alone", "--present_rule_min_no_target 0.5").is_null());  // needs a sweep
}

TEST_F(EvalCliTest, RejectsABadSweep) {
  EXPECT_TRUE(Eval("bad1", "--present_sweep 0.2,x").is_null());
  EXPECT_TRUE(Eval("bad2", "--present_sweep 0.2,1.5").is_null());
  EXPECT_TRUE(Eval("bad3", "--present_sweep 0.2 --present_threshold 0.3").is_null());
  EXPECT_TRUE(Eval("bad4", "--peak_sweep 0.6").is_null());  // needs --present_sweep
  EXPECT_TRUE(Eval("bad5", "--present_sweep 0.2 --peak_sweep 1.2").is_null());
  EXPECT_TRUE(Eval("bad6", "--present_sweep 0.2 --peak_sweep 0.6 --peak_threshold 0.6").is_null());
}

}  // namespace
}  // namespace lsms
