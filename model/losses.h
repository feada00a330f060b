// Training losses of LSMS, each usable alone:
//   L = BCE(pos_weight) + Dice + λ_con·InfoNCE + λ_exist·BCE(target-present)
//       + λ_aux·(BCE+Dice on the text-free all-lesions and liver maps
//                + λ_inst·per-lesion Dice of the all-lesions map)
//       + λ_sel·BCE(selection head over candidates).
#ifndef LSMS_MODEL_LOSSES_H_
#define LSMS_MODEL_LOSSES_H_

#include <torch/types.h>

#include "model/lsms_net.h"

namespace lsms {

// Mean binary cross-entropy with logits; `pos_weight` scales positive pixels.
torch::Tensor BceLoss(const torch::Tensor& logits, const torch::Tensor& target,
                      double pos_weight = 1.0);

// 1 − soft Dice per sample (smoothed by 1, so an empty target penalises any
// predicted mass), averaged over the batch. logits/target: B×H×W.
torch::Tensor DiceLoss(const torch::Tensor& logits, const torch::Tensor& target);

// 1 − soft Dice of each lesion instance against the prediction in its own
// neighbourhood (the instance dilated by `margin` pixels), averaged over the
// valid instances of the batch. Unlike an image-level Dice, a missed 3-pixel
// lesion next to a found 3-cm lesion costs as much as the large one would.
// logits B×S×S, instances B×K×S×S {0,1}, valid B×K. 0 without valid instances.
torch::Tensor InstanceDiceLoss(const torch::Tensor& logits, const torch::Tensor& instances,
                               const torch::Tensor& valid, int margin = 4);

// Symmetric InfoNCE between L2-normalised v and t (B×E) with a learnable
// log-temperature, over the rows where has_target is true. Rows with the same
// `group` id (same target set) are positives of each other. 0 when fewer than
// two rows have a target.
torch::Tensor ContrastiveLoss(const torch::Tensor& v, const torch::Tensor& t,
                              const torch::Tensor& logit_scale, const torch::Tensor& has_target,
                              const torch::Tensor& group);

// The selection head trained on the candidates inference sees: connected
// components of this forward pass's own all-lesions map (detached, above
// net.config.candidate_threshold), not the ground-truth instances. A
// candidate is referred when at least half of its pixels lie in `target`
// (B×S×S); a spurious blob (a vessel taken for a lesion) or a fragment
// outside the target is a negative. Masked BCE over the valid candidates;
// 0 when no sample has a candidate. Returns {loss, candidates found}.
std::pair<torch::Tensor, int64_t> PredictedCandidateLoss(LsmsNetImpl& net, const NetOutputs& out,
                                                         const NetInputs& in, const torch::Tensor& target);

struct LossWeights {
  double pos_weight = 2.0;
  double contrastive = 0.1;
  double present = 1.0;
  double aux = 0.5;
  double selection = 1.0;
  double instance = 1.0;  // inside aux; needs LossTargets::instances
  double predicted_selection = 0.0;  // PredictedCandidateLoss, added by the trainer
};

struct LossTargets {
  torch::Tensor target;            // B×S×S referred mask
  torch::Tensor all_lesions;       // B×S×S
  torch::Tensor liver;             // B×S×S
  torch::Tensor present;           // B {0,1}
  torch::Tensor group;             // B int64 target-set id
  torch::Tensor candidate_target;  // B×K {0,1}: candidate k is referred
  torch::Tensor candidate_valid;   // B×K
  torch::Tensor instances;         // B×K×S×S lesion instances (optional)
};

struct LossTerms {
  torch::Tensor total, bce, dice, contrastive, present, aux, selection;
};

LossTerms ComputeLosses(LsmsNetImpl& net, const NetOutputs& out, const LossTargets& targets,
                        const LossWeights& weights);

}  // namespace lsms

#endif  // LSMS_MODEL_LOSSES_H_
