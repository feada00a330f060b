// The committed nano checkpoint on a bundled sample slice (real DICOM written
// by lsms-synth with DCMTK): two-pass inference finds the liver and zooms into
// a region that contains all of it.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/png_codec.h"
#include "model/segmenter.h"
#include "server/dicom/dicom_image.h"

namespace lsms {
namespace {

const std::string kRoot = LSMS_SOURCE_DIR;

struct SampleSlice {
  DecodedSlice slice;
  PngImage liver;
};

SampleSlice LoadFirstSample() {
  std::ifstream manifest(kRoot + "/samples/manifest.jsonl");
  std::string line;
  std::getline(manifest, line);
  auto j = nlohmann::json::parse(line);
  SampleSlice s;
  EXPECT_TRUE(InitDicomCodecs().ok());
  auto bytes = ReadFile(kRoot + "/samples/" + j["image"].get<std::string>());
  EXPECT_TRUE(bytes.ok());
  auto slice = DecodeDicom(*bytes);
  EXPECT_TRUE(slice.ok()) << slice.status();
  s.slice = *slice;
  auto liver = DecodePng(*ReadFile(kRoot + "/samples/" + j["liver"].get<std::string>()));
  EXPECT_TRUE(liver.ok());
  s.liver = *liver;
  return s;
}

TEST(ShippedModelTest, SecondPassZoomsIntoTheWholeLiver) {
  auto seg = Segmenter::Load({kRoot + "/models/nano/lsms-nano.safetensors", "cpu", "none", 0});
  ASSERT_TRUE(seg.ok()) << seg.status();
  const ModelConfig& c = (*seg)->config();
  ASSERT_GT(c.roi_margin, 0.0f) << "the shipped checkpoint is two-pass";
  SampleSlice s = LoadFirstSample();
  ModelInput in;
  in.image = PreprocessHu(s.slice.hu, c, &in.box);
  in.tokens = (*seg)->tokenizer().Encode("the largest lesion", c.max_tokens);
  in.hu = std::make_shared<const Image>(s.slice.hu);
  ModelInput one_pass = in;
  one_pass.hu = nullptr;
  auto out = (*seg)->Predict({&in, &one_pass});
  ASSERT_TRUE(out.ok()) << out.status();

  const Prediction& p = (*out)[0];
  ASSERT_TRUE(p.liver_region);
  EXPECT_GT(p.box.scale, 1.4 * in.box.scale);
  // The true liver's bounding box lies inside the region.
  int x0 = s.liver.width, y0 = s.liver.height, x1 = -1, y1 = -1;
  for (int y = 0; y < s.liver.height; ++y) {
    for (int x = 0; x < s.liver.width; ++x) {
      if (!s.liver.pixels[static_cast<size_t>(y) * s.liver.width + x]) continue;
      x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
    }
  }
  ASSERT_GE(x1, 0);
  EXPECT_LE(p.box.OriginalX(0), x0);
  EXPECT_GE(p.box.OriginalX(c.input_size), x1 + 1);
  EXPECT_LE(p.box.OriginalY(0), y0);
  EXPECT_GE(p.box.OriginalY(c.input_size), y1 + 1);

  // Without the HU slice there is one pass, on the input's own grid.
  EXPECT_FALSE((*out)[1].liver_region);
  EXPECT_DOUBLE_EQ((*out)[1].box.scale, in.box.scale);
}

TEST(ShippedModelTest, TheExpressionCacheGivesTheSameAnswersAndCountsEachExpressionOnce) {
  const std::string ckpt = kRoot + "/models/nano/lsms-nano.safetensors";
  auto plain = Segmenter::Load({ckpt, "cpu", "none", 0});
  ASSERT_TRUE(plain.ok()) << plain.status();
  auto cache = *ExpressionCache::Create(8);
  Segmenter::Options with_cache{ckpt, "cpu", "none", 0};
  with_cache.expression_cache = cache;
  with_cache.expression_cache_scope = 1;
  auto cached = Segmenter::Load(with_cache);
  ASSERT_TRUE(cached.ok()) << cached.status();
  const ModelConfig& c = (*plain)->config();
  SampleSlice s = LoadFirstSample();
  auto input = [&](const std::string& expression) {
    ModelInput in;
    in.image = PreprocessHu(s.slice.hu, c, &in.box);
    in.tokens = (*plain)->tokenizer().Encode(expression, c.max_tokens);
    in.hu = std::make_shared<const Image>(s.slice.hu);  // two passes
    return in;
  };
  const ModelInput a = input("the largest lesion"), b = input("the largest lesion"), d = input("the smallest lesion");
  auto want = (*plain)->Predict({&a, &b, &d});
  auto got = (*cached)->Predict({&a, &b, &d});
  ASSERT_TRUE(want.ok() && got.ok());
  for (size_t i = 0; i < 3; ++i) {
    const auto& w = (*want)[i].probability.data;
    const auto& g = (*got)[i].probability.data;
    ASSERT_EQ(w.size(), g.size());
    float worst = 0;
    for (size_t k = 0; k < w.size(); ++k) worst = std::max(worst, std::abs(w[k] - g[k]));
    EXPECT_LT(worst, 1e-4f) << "sample " << i;
    EXPECT_NEAR((*want)[i].target_present, (*got)[i].target_present, 1e-5f);
    EXPECT_EQ((*want)[i].liver_region, (*got)[i].liver_region);
  }
  // Two expressions looked up and missed; the second "largest" reused the
  // first's within the batch (a hit); pass 2 reads this call's own copy.
  auto st = cache->stats();
  EXPECT_EQ(st.misses, 2);
  EXPECT_EQ(st.hits, 1);
  EXPECT_EQ(st.entries, 2);
  ASSERT_TRUE((*cached)->Predict({&d}).ok());
  st = cache->stats();
  EXPECT_EQ(st.hits, 2);
  EXPECT_EQ(st.misses, 2);
  // Another scope (a reloaded model) does not see those entries.
  with_cache.expression_cache_scope = 2;
  auto reloaded = Segmenter::Load(with_cache);
  ASSERT_TRUE(reloaded.ok());
  ASSERT_TRUE((*reloaded)->Predict({&a}).ok());
  st = cache->stats();
  EXPECT_EQ(st.misses, 3);
  EXPECT_EQ(st.entries, 3);
}

}  // namespace
}  // namespace lsms
