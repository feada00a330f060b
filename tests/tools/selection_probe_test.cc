// The selection-head probe on a small generated benchmark with an untrained
// test checkpoint: what it counts, and how it refuses.
#include "tools/eval/selection_probe.h"

#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "model/checkpoint.h"
#include "tests/model/test_checkpoint.h"
#include "tools/synth/benchmark_writer.h"

namespace lsms::eval {
namespace {

namespace fs = std::filesystem;

class SelectionProbeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("lsms_probe_" + std::to_string(::getpid())));
    synth::BenchmarkOptions b;
    b.out_dir = (*dir_ / "data").string();
    b.images = 4;
    b.size = 128;
    b.seed = 5;
    b.val_fraction = 0.0;
    b.test_fraction = 0.0;
    ASSERT_TRUE(synth::WriteBenchmark(b).ok());
    checkpoint_ = new std::string(testing::WriteTestCheckpoint("probe"));
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    fs::remove(*checkpoint_);
    delete dir_;
    delete checkpoint_;
  }
  static train::Dataset Load(const ModelConfig& c) {
    auto ds = train::LoadDataset({(*dir_ / "data" / "manifest.jsonl").string(), "train", 0, false, 0.12f, 0}, c);
    EXPECT_TRUE(ds.ok()) << ds.status();
    return *std::move(ds);
  }
  static fs::path* dir_;
  static std::string* checkpoint_;
};

fs::path* SelectionProbeTest::dir_ = nullptr;
std::string* SelectionProbeTest::checkpoint_ = nullptr;

TEST_F(SelectionProbeTest, CountsEveryExpressionWithATargetOnceOverallAndOnceByKind) {
  auto ckpt = LoadCheckpoint(*checkpoint_);
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  train::Dataset ds = Load(ckpt->info.config);
  int with_target = 0;
  for (const auto& s : ds.samples) with_target += !s.targets.empty();
  ASSERT_GT(with_target, 0);
  auto rows = ProbeSelection(*checkpoint_, {}, ds, 3);
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(rows->at("").n, with_target);
  int by_kind = 0;
  for (const auto& [kind, r] : *rows) {
    if (kind.empty()) continue;
    by_kind += r.n;
    EXPECT_GE(r.exact_own, 0);
    EXPECT_LE(r.exact_own, r.n);
    EXPECT_LE(r.exact_true, r.n);
  }
  EXPECT_EQ(by_kind, with_target);
  EXPECT_EQ(rows->count("no_target"), 0u);  // no target: nothing to select
  // Deterministic, and the batch size does not change what is counted.
  auto again = ProbeSelection(*checkpoint_, {}, ds, 5);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->at("").exact_own, rows->at("").exact_own);
  EXPECT_EQ(again->at("").exact_true, rows->at("").exact_true);
  const std::string md = SelectionProbeMarkdown(*rows);
  EXPECT_NE(md.find("| all | " + std::to_string(with_target) + " |"), std::string::npos) << md;
}

TEST_F(SelectionProbeTest, RefusesABadCalibrationAndAModelWithoutTheHead) {
  auto ckpt = LoadCheckpoint(*checkpoint_);
  ASSERT_TRUE(ckpt.ok());
  train::Dataset ds = Load(ckpt->info.config);
  Calibration bad;
  bad.candidate_threshold = 1.5f;
  EXPECT_EQ(ProbeSelection(*checkpoint_, bad, ds).status().code(), absl::StatusCode::kInvalidArgument);
  ckpt->info.config.selection_head = false;
  const std::string headless = *checkpoint_ + ".headless.safetensors";
  ASSERT_TRUE(SaveCheckpoint(headless, *ckpt->net, ckpt->info).ok());
  EXPECT_EQ(ProbeSelection(headless, {}, ds).status().code(), absl::StatusCode::kFailedPrecondition);
  fs::remove(headless);
}

}  // namespace
}  // namespace lsms::eval
