#include "model/losses.h"

#include <cmath>

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace lsms {
namespace {

TEST(LossesTest, BceMatchesHandComputedValue) {
  auto logits = torch::tensor({0.0f, 2.0f});
  auto target = torch::tensor({1.0f, 0.0f});
  double want = (std::log(2.0) + std::log(1.0 + std::exp(2.0))) / 2.0;
  EXPECT_NEAR(BceLoss(logits, target).item<double>(), want, 1e-5);
}

TEST(LossesTest, DiceIsZeroForPerfectPredictionAndHighForMiss) {
  auto target = torch::zeros({1, 4, 4});
  target.index_put_({0, 0}, 1);
  auto perfect = (target * 2 - 1) * 50;
  EXPECT_NEAR(DiceLoss(perfect, target).item<float>(), 0.0f, 1e-3);
  EXPECT_GT(DiceLoss(-perfect, target).item<float>(), 0.7f);
}

TEST(LossesTest, InstanceDiceWeighsAMissedSmallLesionLikeALargeOne) {
  namespace I = torch::indexing;
  // A 20×20 lesion found exactly and a 2×2 lesion missed entirely.
  auto inst = torch::zeros({1, 2, 64, 64});
  inst.index_put_({0, 0, I::Slice(4, 24), I::Slice(4, 24)}, 1);
  inst.index_put_({0, 1, I::Slice(50, 52), I::Slice(50, 52)}, 1);
  auto valid = torch::ones({1, 2});
  auto found_large = (inst.select(1, 0) * 2 - 1) * 50;  // B×S×S logits
  // Per instance: large (2·400+1)/(400+400+1) = 1 → 0; small (0+1)/(0+4+1) → 0.8.
  EXPECT_NEAR(InstanceDiceLoss(found_large, inst, valid).item<float>(), 0.4f, 1e-3);
  // The image-level Dice barely notices the missed lesion.
  EXPECT_LT(DiceLoss(found_large, inst.amax(1)).item<float>(), 0.01f);
  // Finding both → 0; a false positive far from every lesion is not its business.
  auto both = (inst.amax(1) * 2 - 1) * 50;
  EXPECT_NEAR(InstanceDiceLoss(both, inst, valid).item<float>(), 0.0f, 1e-3);
  both.index_put_({0, I::Slice(40, 44), I::Slice(4, 8)}, 50);
  EXPECT_NEAR(InstanceDiceLoss(both, inst, valid).item<float>(), 0.0f, 1e-3);
  // A spill into the lesion's neighbourhood is penalised: Dice (2·4+1)/(8+4+1).
  auto spill = both.clone();
  spill.index_put_({0, I::Slice(52, 54), I::Slice(50, 52)}, 50);  // 4 extra pixels next to the small lesion
  EXPECT_NEAR(InstanceDiceLoss(spill, inst, valid).item<float>(), 0.5f * (1 - 9.0f / 13.0f), 1e-3);
  // Invalid instances do not count.
  EXPECT_NEAR(InstanceDiceLoss(found_large, inst, torch::tensor({{1.0f, 0.0f}})).item<float>(), 0.0f, 1e-3);
}

TEST(LossesTest, ContrastiveIgnoresSamplesWithoutTarget) {
  auto v = torch::nn::functional::normalize(torch::randn({3, 4}), torch::nn::functional::NormalizeFuncOptions().dim(-1));
  auto scale = torch::zeros({1}, torch::requires_grad());
  auto one = torch::tensor({true, false, false});
  EXPECT_EQ(ContrastiveLoss(v, v, scale, one, torch::arange(3)).item<float>(), 0.0f);
  // Matching pairs score lower than mismatched ones.
  auto all = torch::tensor({true, true, true});
  auto aligned = ContrastiveLoss(v, v, scale + 3, all, torch::arange(3)).item<float>();
  auto shuffled = ContrastiveLoss(v, v.roll(1, 0), scale + 3, all, torch::arange(3)).item<float>();
  EXPECT_LT(aligned, shuffled);
}

}  // namespace
}  // namespace lsms
