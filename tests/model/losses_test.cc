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

TEST(LossesTest, PredictedCandidatesAreReferredByTheirShareInTheTarget) {
  namespace I = torch::indexing;
  ModelConfig c = *ModelConfig::FromPreset("nano");
  c.input_size = 64;
  c.vocab_size = 40;
  torch::manual_seed(11);
  LsmsNet net(c);
  NetInputs in;
  in.image = torch::randn({1, 3, 64, 64});
  in.ids = torch::randint(4, 40, {1, 8});
  in.mask = torch::ones({1, 8});
  in.mm_per_pixel = torch::full({1}, 1.5);
  auto out = net->forward(in);
  // The model's own all-lesions map: a lesion (10×10) and a spurious blob (4×4).
  auto all = torch::full({1, 64, 64}, -8.0);
  all.index_put_({0, I::Slice(4, 14), I::Slice(4, 14)}, 8.0);
  all.index_put_({0, I::Slice(40, 44), I::Slice(40, 44)}, 8.0);
  out.all_logits = all;
  // The target covers 60 % of the lesion's candidate and none of the blob.
  auto target = torch::zeros({1, 64, 64});
  target.index_put_({0, I::Slice(4, 10), I::Slice(4, 14)}, 1.0);
  auto [loss, found] = PredictedCandidateLoss(*net, out, in, target);
  EXPECT_EQ(found, 2);
  // By hand: BCE of the head's logits for the same candidates against {1, 0}.
  auto [cand, valid] = ExtractCandidates(torch::sigmoid(all), c.candidate_threshold, c.max_candidates, 3);
  NetInputs with = in;
  with.candidates = cand;
  with.candidate_valid = valid;
  auto logits = net->ScoreCandidates(out, with)[0];
  const double p0 = torch::sigmoid(logits[0]).item<double>(), p1 = torch::sigmoid(logits[1]).item<double>();
  EXPECT_NEAR(loss.item<double>(), (-std::log(p0) - std::log(1 - p1)) / 2, 1e-4);
  // It trains the selection head.
  loss.backward();
  bool reached = false;
  for (const auto& p : net->cand_score->parameters()) {
    reached = reached || (p.grad().defined() && p.grad().abs().sum().item<float>() > 0);
  }
  EXPECT_TRUE(reached);
  // No candidate: no loss.
  out.all_logits = torch::full({1, 64, 64}, -8.0);
  auto [none, zero] = PredictedCandidateLoss(*net, out, in, target);
  EXPECT_EQ(zero, 0);
  EXPECT_EQ(none.item<float>(), 0.0f);
}

}  // namespace
}  // namespace lsms
