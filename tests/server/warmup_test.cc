// Warm-up measures the batch policy on a request-shaped slice: one with a
// liver, so that the shipped two-pass model runs both passes as it does on
// abdominal requests.
#include <gtest/gtest.h>

#include "model/segmenter.h"
#include "server/model_runner.h"
#include "server/warmup_slice.h"

namespace lsms {
namespace {

const std::string kCheckpoint = std::string(LSMS_SOURCE_DIR) + "/models/nano/lsms-nano.safetensors";

TEST(WarmUpSliceTest, DrawsABodyWithALiverAndALesionInIt) {
  const Image im = WarmUpSlice();
  ASSERT_EQ(im.rows, kWarmUpSliceSize);
  ASSERT_EQ(im.cols, kWarmUpSliceSize);
  auto at = [&](double x, double y) { return im.data[static_cast<size_t>(y) * im.cols + static_cast<size_t>(x)]; };
  // Positions from the drawing (pixels per mm = 1 / 0.75): body centre
  // (256, 266), rx = 165·0.95/0.75 = 209 px, ry = 153.3 px; the liver's right
  // lobe at (256 − 0.45·209, 266 − 0.05·153.3) = (162, 258); the lesion 13.3 px
  // right of and 16 px above it.
  EXPECT_EQ(at(5, 5), -1000.0f);                  // air
  EXPECT_NEAR(at(162, 258 + 40), 62.0f, 10.0f);   // liver parenchyma
  EXPECT_NEAR(at(175.3, 242), 20.0f, 10.0f);      // the lesion
  EXPECT_NEAR(at(256, 266 - 153.3 + 5), -100.0f, 10.0f);  // subcutaneous fat
  EXPECT_EQ(WarmUpSlice().data, im.data);         // deterministic
}

TEST(WarmUpTest, TheShippedModelRunsBothPassesAndThePolicySaysSo) {
  ModelRunnerOptions o;
  o.model.checkpoint_path = kCheckpoint;
  o.model.device = "cpu";
  o.batching.max_batch_size = 2;
  o.warmup_iterations = 1;
  o.segmenter_factory = [](const Segmenter::Options& m) { return Segmenter::Load(m); };
  auto runner = ModelRunner::Create(o);
  ASSERT_TRUE(runner.ok()) << runner.status();
  ASSERT_TRUE((*runner)->WarmUp().ok());
  const auto policy = (*runner)->policy();
  EXPECT_TRUE(policy.warmup_two_pass()) << policy.warmup_input();
  EXPECT_NE(policy.warmup_input().find("two passes"), std::string::npos) << policy.warmup_input();
  EXPECT_EQ(policy.measured_size(), 2);  // batch 1 and 2
  (*runner)->Shutdown();
}

}  // namespace
}  // namespace lsms
