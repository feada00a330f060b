// The committed nano checkpoint on a bundled sample slice (real DICOM written
// by lsms-synth with DCMTK): two-pass inference finds the liver and zooms into
// a region that contains all of it.
#include <algorithm>
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

}  // namespace
}  // namespace lsms
