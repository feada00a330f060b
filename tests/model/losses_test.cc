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
