#include "model/losses.h"

#include <torch/nn/functional/loss.h>
#include <torch/nn/functional/pooling.h>

namespace lsms {

namespace F = torch::nn::functional;

torch::Tensor BceLoss(const torch::Tensor& logits, const torch::Tensor& target,
                      double pos_weight) {
  return F::binary_cross_entropy_with_logits(
      logits, target,
      F::BinaryCrossEntropyWithLogitsFuncOptions().pos_weight(
          torch::full({1}, pos_weight, logits.options())));
}

torch::Tensor DiceLoss(const torch::Tensor& logits, const torch::Tensor& target) {
  auto p = torch::sigmoid(logits).flatten(1);
  auto t = target.flatten(1);
  auto inter = (p * t).sum(1);
  auto dice = (2 * inter + 1) / (p.sum(1) + t.sum(1) + 1);
  return (1 - dice).mean();
}

torch::Tensor InstanceDiceLoss(const torch::Tensor& logits, const torch::Tensor& instances,
                               const torch::Tensor& valid, int margin) {
  const int64_t k = 2 * margin + 1;
  auto near = F::max_pool2d(instances, F::MaxPool2dFuncOptions(k).stride(1).padding(margin));
  auto p = torch::sigmoid(logits).unsqueeze(1);  // B×1×S×S
  auto inter = (p * instances).sum({2, 3});
  auto dice = (2 * inter + 1) / ((p * near).sum({2, 3}) + instances.sum({2, 3}) + 1);
  auto v = valid.to(dice.dtype());
  return ((1 - dice) * v).sum() / v.sum().clamp_min(1.0);
}

torch::Tensor ContrastiveLoss(const torch::Tensor& v, const torch::Tensor& t,
                              const torch::Tensor& logit_scale, const torch::Tensor& has_target,
                              const torch::Tensor& group) {
  auto idx = has_target.nonzero().squeeze(1);
  if (idx.numel() < 2) return (v.sum() * 0 + logit_scale.sum() * 0);
  auto vs = v.index_select(0, idx), ts = t.index_select(0, idx);
  auto g = group.index_select(0, idx);
  auto pos = (g.unsqueeze(0) == g.unsqueeze(1)).to(vs.dtype());
  // Temperature clamped as in CLIP (scale ≤ 100).
  auto scale = logit_scale.clamp_max(std::log(100.0)).exp();
  auto logits = scale * torch::matmul(vs, ts.t());
  auto multi_pos = [&](const torch::Tensor& l) {
    auto log_all = torch::logsumexp(l, 1);
    auto log_pos = torch::logsumexp(l + (1 - pos) * -1e4, 1);
    return (log_all - log_pos).mean();
  };
  return 0.5 * (multi_pos(logits) + multi_pos(logits.t()));
}

std::pair<torch::Tensor, int64_t> PredictedCandidateLoss(LsmsNetImpl& net, const NetOutputs& out,
                                                         const NetInputs& in, const torch::Tensor& target) {
  auto all = torch::sigmoid(out.all_logits).detach();
  auto [cand, valid] = ExtractCandidates(all, net.config.candidate_threshold, net.config.max_candidates,
                                         /*min_pixels=*/3);
  cand = cand.to(all.dtype());
  valid = valid.to(all.dtype());
  const int64_t found = static_cast<int64_t>(valid.sum().item<float>());
  if (found == 0) return {out.all_logits.sum() * 0, 0};
  NetInputs with = in;
  with.candidates = cand;
  with.candidate_valid = valid;
  auto logits = net.ScoreCandidates(out, with);
  auto inside = (cand * target.unsqueeze(1)).sum({2, 3}) / cand.sum({2, 3}).clamp_min(1.0);
  auto referred = (inside >= 0.5).to(logits.dtype()) * valid;
  auto per = F::binary_cross_entropy_with_logits(
      logits, referred, F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone));
  return {(per * valid).sum() / valid.sum(), found};
}

LossTerms ComputeLosses(LsmsNetImpl& net, const NetOutputs& out, const LossTargets& tg,
                        const LossWeights& w) {
  LossTerms l;
  l.bce = BceLoss(out.ref_logits, tg.target, w.pos_weight);
  l.dice = DiceLoss(out.ref_logits, tg.target);
  auto [v, t] = net.ContrastiveEmbeddings(out, tg.target);
  l.contrastive = ContrastiveLoss(v, t, net.logit_scale, tg.present > 0.5, tg.group);
  l.present = BceLoss(out.present_logit, tg.present);
  l.aux = BceLoss(out.all_logits, tg.all_lesions, w.pos_weight) +
          DiceLoss(out.all_logits, tg.all_lesions) + BceLoss(out.liver_logits, tg.liver) +
          DiceLoss(out.liver_logits, tg.liver);
  if (tg.instances.defined() && w.instance > 0) {
    l.aux = l.aux + w.instance * InstanceDiceLoss(out.all_logits, tg.instances, tg.candidate_valid);
  }
  if (out.candidate_logits.defined()) {
    auto valid = tg.candidate_valid;
    auto per = F::binary_cross_entropy_with_logits(
        out.candidate_logits, tg.candidate_target,
        F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone));
    l.selection = (per * valid).sum() / valid.sum().clamp_min(1.0);
  } else {
    l.selection = torch::zeros({}, out.ref_logits.options());
  }
  l.total = l.bce + l.dice + w.contrastive * l.contrastive + w.present * l.present +
            w.aux * l.aux + w.selection * l.selection;
  return l;
}

}  // namespace lsms
