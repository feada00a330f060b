// The manifest loader on a generated benchmark: whole-slice and liver-region
// views of each slice, with targets on each view's grid.
#include "tools/train/dataset.h"

#include <algorithm>
#include <filesystem>
#include <numeric>

#include <gtest/gtest.h>

#include "tools/synth/benchmark_writer.h"

namespace lsms {
namespace {

namespace fs = std::filesystem;

class DatasetTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("lsms_dataset_" + std::to_string(::getpid())));
    ASSERT_TRUE(WriteBenchmark("data", /*images=*/4, /*seed=*/5, /*val_fraction=*/0.0));
  }
  // A generated benchmark of 512 px slices, no test split, in dir_/name.
  static bool WriteBenchmark(const std::string& name, int images, uint64_t seed, double val_fraction) {
    synth::BenchmarkOptions b;
    b.out_dir = (*dir_ / name).string();
    b.images = images;
    b.size = 512;
    b.seed = seed;
    b.val_fraction = val_fraction;
    b.test_fraction = 0.0;
    return synth::WriteBenchmark(b).ok();
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }
  static std::string Manifest() { return (*dir_ / "data" / "manifest.jsonl").string(); }
  static ModelConfig Config() {
    ModelConfig c;
    c.input_size = 64;
    return c;
  }
  static int Count(const std::vector<uint8_t>& m) { return std::accumulate(m.begin(), m.end(), 0); }

  static fs::path* dir_;
};
fs::path* DatasetTest::dir_ = nullptr;

TEST_F(DatasetTest, WholeSlicesByDefault) {
  auto ds = train::LoadDataset({Manifest(), "train", 0, false}, Config());
  ASSERT_TRUE(ds.ok()) << ds.status();
  ASSERT_EQ(ds->images.size(), 4u);
  for (const auto& img : ds->images) EXPECT_DOUBLE_EQ(img.box.scale, 64.0 / 512.0);
}

TEST_F(DatasetTest, LiverRegionViewsZoomIntoTheLiver) {
  auto whole = train::LoadDataset({Manifest(), "train", 0, false}, Config());
  auto region = train::LoadDataset({Manifest(), "train", 0, false, /*roi_margin=*/0.1f, /*whole_every=*/0}, Config());
  ASSERT_TRUE(whole.ok() && region.ok());
  ASSERT_EQ(region->images.size(), 4u);
  ASSERT_EQ(region->samples.size(), whole->samples.size());
  for (size_t i = 0; i < 4; ++i) {
    const auto& r = region->images[i];
    const auto& w = whole->images[i];
    EXPECT_GT(r.box.scale, w.box.scale * 1.3) << r.id;
    // The liver fills much more of the region's grid, and the physical pixel
    // size shrinks by the same factor as the zoom.
    EXPECT_GT(Count(r.liver), Count(w.liver) * 1.6) << r.id;
    EXPECT_NEAR(r.mm_per_pixel * r.box.scale, w.mm_per_pixel * w.box.scale, 1e-4);
  }
  // Targets are on each view's grid: as many lesion pixels, scaled by zoom².
  for (size_t s = 0; s < whole->samples.size(); ++s) {
    const int nw = Count(whole->samples[s].mask), nr = Count(region->samples[s].mask);
    if (nw < 8) continue;  // too small to compare
    const double zoom = region->images[region->samples[s].image].box.scale /
                        whole->images[whole->samples[s].image].box.scale;
    EXPECT_NEAR(nr / (nw * zoom * zoom), 1.0, 0.45) << whole->samples[s].expression;
    EXPECT_EQ(region->samples[s].mask_original, whole->samples[s].mask_original);
  }
}

TEST_F(DatasetTest, EveryNthSliceIsAlsoKeptWhole) {
  auto ds = train::LoadDataset({Manifest(), "train", 0, false, 0.1f, /*whole_every=*/2}, Config());
  ASSERT_TRUE(ds.ok());
  // Slices 0 and 2 get a second, whole view; each expression has a sample per view.
  ASSERT_EQ(ds->images.size(), 6u);
  EXPECT_EQ(ds->images[0].path, ds->images[1].path);
  EXPECT_DOUBLE_EQ(ds->images[1].box.scale, 64.0 / 512.0);
  auto single = train::LoadDataset({Manifest(), "train", 0, false, 0.1f, 0}, Config());
  ASSERT_TRUE(single.ok());
  EXPECT_GT(ds->samples.size(), single->samples.size());
  // max_images counts slices, not views.
  auto two = train::LoadDataset({Manifest(), "train", 2, false, 0.1f, 2}, Config());
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->images.size(), 3u);
}

TEST_F(DatasetTest, TrainingLoadsCanDropOriginalResolutionMasks) {
  train::LoadOptions o{Manifest(), "train", 0, false};
  o.keep_original_masks = false;
  auto lean = train::LoadDataset(o, Config());
  auto full = train::LoadDataset({Manifest(), "train", 0, false}, Config());
  ASSERT_TRUE(lean.ok() && full.ok());
  ASSERT_EQ(lean->samples.size(), full->samples.size());
  for (size_t s = 0; s < lean->samples.size(); ++s) {
    EXPECT_TRUE(lean->samples[s].mask_original.empty());
    EXPECT_EQ(lean->samples[s].mask, full->samples[s].mask);
    EXPECT_EQ(lean->samples[s].group, full->samples[s].group);
  }
  EXPECT_TRUE(lean->images[0].all_lesions_original.empty());
  EXPECT_FALSE(full->images[0].all_lesions_original.empty());
}

TEST_F(DatasetTest, SeveralManifestsLoadAsOneWithShiftedIndices) {
  auto one = train::LoadDataset({Manifest(), "train", 0, false}, Config());
  auto two = train::LoadDatasets({Manifest() + "," + Manifest(), "train", 0, false}, Config());
  ASSERT_TRUE(one.ok() && two.ok()) << two.status();
  const size_t n = one->samples.size(), m = one->images.size();
  ASSERT_EQ(two->images.size(), 2 * m);
  ASSERT_EQ(two->samples.size(), 2 * n);
  int max_group = 0;
  for (size_t s = 0; s < n; ++s) max_group = std::max(max_group, one->samples[s].group);
  for (size_t s = 0; s < n; ++s) {
    const auto& a = two->samples[s];
    const auto& b = two->samples[n + s];
    EXPECT_EQ(b.image, a.image + static_cast<int>(m));
    EXPECT_EQ(b.group, a.group + max_group + 1);  // no group spans the two manifests
    EXPECT_EQ(b.mask, a.mask);
    EXPECT_EQ(b.expression, a.expression);
  }
  for (const auto& [kind, idx] : one->by_kind) {
    ASSERT_EQ(two->by_kind.at(kind).size(), 2 * idx.size()) << kind;
    EXPECT_EQ(two->by_kind.at(kind)[idx.size()], idx[0] + static_cast<int>(n)) << kind;
  }
}

TEST_F(DatasetTest, ManifestsWithoutTheSplitAreSkippedButNoneAtAllIsAnError) {
  // A second, validation-only benchmark beside the all-train one.
  ASSERT_TRUE(WriteBenchmark("val_only", /*images=*/2, /*seed=*/6, /*val_fraction=*/1.0));
  const std::string val_only = (*dir_ / "val_only" / "manifest.jsonl").string();
  const std::string both = Manifest() + "," + val_only;
  auto val = train::LoadDatasets({both, "val", 0, false}, Config());
  auto val_alone = train::LoadDataset({val_only, "val", 0, false}, Config());
  ASSERT_TRUE(val.ok() && val_alone.ok()) << val.status();
  EXPECT_EQ(val->images.size(), 2u);
  EXPECT_EQ(val->samples.size(), val_alone->samples.size());
  auto train_split = train::LoadDatasets({both, "train", 0, false}, Config());
  auto train_alone = train::LoadDataset({Manifest(), "train", 0, false}, Config());
  ASSERT_TRUE(train_split.ok() && train_alone.ok());
  EXPECT_EQ(train_split->samples.size(), train_alone->samples.size());
  // The all-train benchmark twice: no val split anywhere.
  auto none = train::LoadDatasets({Manifest() + "," + Manifest(), "val", 0, false}, Config());
  EXPECT_TRUE(absl::IsInvalidArgument(none.status())) << none.status();
  auto missing =
      train::LoadDatasets({Manifest() + ",/nonexistent/manifest.jsonl", "train", 0, false}, Config());
  EXPECT_TRUE(absl::IsNotFound(missing.status())) << missing.status();
}

}  // namespace
}  // namespace lsms
