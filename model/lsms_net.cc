#include "model/lsms_net.h"

#include <algorithm>
#include <cmath>
#include <deque>

#include <torch/nn/functional/normalization.h>
#include <torch/nn/functional/pooling.h>
#include <torch/nn/modules/activation.h>

namespace lsms {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

namespace {

// Mean of `features` (B×C×h×w) inside `masks` (B×K×S×S, resized to h×w).
torch::Tensor MaskPool(const torch::Tensor& features, const torch::Tensor& masks) {
  auto m = F::adaptive_avg_pool2d(masks, F::AdaptiveAvgPool2dFuncOptions(
                                             {features.size(2), features.size(3)}));
  auto sum = torch::einsum("bkhw,bchw->bkc", {m, features});
  return sum / (m.sum({2, 3}).unsqueeze(-1) + 1e-6);
}

}  // namespace

namespace {

// For each candidate k (B×K), the number of valid candidates j with x_j < x_k.
torch::Tensor CountValidBelow(const torch::Tensor& x, const torch::Tensor& v) {
  return ((x.unsqueeze(1) < x.unsqueeze(2)).to(v.dtype()) * v.unsqueeze(1)).sum(2);
}

// Candidate centroids (B×K each) in [0, 1] of the side.
std::pair<torch::Tensor, torch::Tensor> Centroids(const torch::Tensor& cand) {
  const int64_t s = cand.size(2);
  auto coords = (torch::arange(s, cand.options()) + 0.5) / s;
  auto area = cand.sum({2, 3}) + 1e-6;
  return {(cand * coords.view({1, 1, 1, s})).sum({2, 3}) / area, (cand * coords.view({1, 1, s, 1})).sum({2, 3}) / area};
}

}  // namespace

torch::Tensor CandidateGeometry(const torch::Tensor& cand, const torch::Tensor& valid,
                                const torch::Tensor& liver, const torch::Tensor& image,
                                const torch::Tensor& mm_per_pixel) {
  const int64_t b = cand.size(0), k = cand.size(1), s = cand.size(2);
  auto opts = cand.options();
  auto v = valid.to(opts.dtype());
  auto area = cand.sum({2, 3});  // B×K pixels
  auto mm2 = area * mm_per_pixel.view({b, 1}).pow(2);
  auto diam_cm = 2.0 * torch::sqrt(mm2 / M_PI) / 10.0;
  std::vector<torch::Tensor> f;
  f.push_back(diam_cm / 6.0);
  f.push_back(torch::sqrt(area / double(s * s)) * 4.0);
  // Size ranks among the valid candidates.
  auto larger = CountValidBelow(-area, v);
  auto smaller = CountValidBelow(area, v);
  for (int r = 0; r < 4; ++r) {
    f.push_back(r < 3 ? (larger == r).to(opts.dtype()) : (larger >= 3).to(opts.dtype()));
  }
  for (int r = 0; r < 2; ++r) f.push_back((smaller == r).to(opts.dtype()));
  auto count = v.sum(1, /*keepdim=*/true).expand({b, k});
  for (int n = 1; n <= 4; ++n) {
    f.push_back(n < 4 ? (count == n).to(opts.dtype()) : (count >= 4).to(opts.dtype()));
  }
  for (int cm = 1; cm <= 6; ++cm) f.push_back(torch::exp(-(diam_cm - cm).pow(2) / 0.5));
  // Centroids in [0, 1].
  auto coords = (torch::arange(s, opts) + 0.5) / s;
  auto safe_area = area + 1e-6;
  auto [cx, cy] = Centroids(cand);
  f.push_back(cx);
  f.push_back(cy);
  // Liver bounding box (whole image when no liver is found).
  auto lv = (liver > 0.5);
  auto cols = lv.any(1).to(opts.dtype());  // B×S over x
  auto rows = lv.any(2).to(opts.dtype());  // B×S over y
  auto idx = coords.view({1, s});
  auto x0 = torch::where(cols > 0, idx, torch::ones_like(idx)).amin(1);
  auto x1 = torch::where(cols > 0, idx, torch::zeros_like(idx)).amax(1);
  auto y0 = torch::where(rows > 0, idx, torch::ones_like(idx)).amin(1);
  auto y1 = torch::where(rows > 0, idx, torch::zeros_like(idx)).amax(1);
  auto has = (cols.sum(1) > 0).to(opts.dtype());
  x0 = has * x0;
  y0 = has * y0;
  x1 = has * x1 + (1 - has);
  y1 = has * y1 + (1 - has);
  f.push_back(((cx - x0.unsqueeze(1)) / (x1 - x0 + 1e-3).unsqueeze(1)).clamp(-0.5, 1.5));
  f.push_back(((cy - y0.unsqueeze(1)) / (y1 - y0 + 1e-3).unsqueeze(1)).clamp(-0.5, 1.5));
  // Intensity relative to the liver, first two windows.
  auto lvf = lv.to(opts.dtype());
  for (int c = 0; c < 2 && c < image.size(1); ++c) {
    auto ch = image.select(1, c);  // B×S×S
    auto in_cand = (cand * ch.unsqueeze(1)).sum({2, 3}) / safe_area;
    auto in_liver = (lvf * ch).sum({1, 2}) / (lvf.sum({1, 2}) + 1e-6);
    f.push_back(in_cand - in_liver.unsqueeze(1));
  }
  return torch::stack(f, -1) * v.unsqueeze(-1);
}

torch::Tensor CandidateLiverFrame(const torch::Tensor& cand, const torch::Tensor& valid,
                                  const torch::Tensor& liver) {
  const int64_t s = cand.size(2);
  auto opts = cand.options();
  auto v = valid.to(opts.dtype());
  auto coords = (torch::arange(s, opts) + 0.5) / s;
  auto [cx, cy] = Centroids(cand);
  auto lv = (liver > 0.5).to(opts.dtype());  // B×S×S
  auto larea = lv.sum({1, 2});
  auto has = (larea > 0).to(opts.dtype());
  auto lcx = has * (lv * coords.view({1, 1, s})).sum({1, 2}) / (larea + 1e-6) + (1 - has) * 0.5;
  auto lcy = has * (lv * coords.view({1, s, 1})).sum({1, 2}) / (larea + 1e-6) + (1 - has) * 0.5;
  // Equivalent radius, as a share of the side.
  auto radius = has * torch::sqrt(larea / (M_PI * s * s)) + (1 - has) * 0.5;
  auto dx = ((cx - lcx.unsqueeze(1)) / radius.unsqueeze(1)).clamp(-3, 3);
  auto dy = ((cy - lcy.unsqueeze(1)) / radius.unsqueeze(1)).clamp(-3, 3);
  auto dist = torch::sqrt(dx * dx + dy * dy);
  auto closer = CountValidBelow(dist, v);
  auto farther = CountValidBelow(-dist, v);
  auto f = torch::stack({dx, dy, dist, (closer == 0).to(opts.dtype()), (farther == 0).to(opts.dtype())}, -1);
  return f * v.unsqueeze(-1);
}

std::pair<torch::Tensor, torch::Tensor> ExtractCandidates(const torch::Tensor& prob,
                                                          float threshold, int max_candidates,
                                                          int min_pixels) {
  auto p = prob.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  const int64_t b = p.size(0), h = p.size(1), w = p.size(2);
  auto masks = torch::zeros({b, max_candidates, h, w});
  auto valid = torch::zeros({b, max_candidates});
  std::vector<int> label(static_cast<size_t>(h * w));
  for (int64_t i = 0; i < b; ++i) {
    const float* src = p[i].data_ptr<float>();
    std::fill(label.begin(), label.end(), -1);
    std::vector<std::vector<int>> comps;
    std::deque<int> queue;
    for (int64_t start = 0; start < h * w; ++start) {
      if (src[start] <= threshold || label[start] >= 0) continue;
      std::vector<int> comp;
      label[start] = static_cast<int>(comps.size());
      queue.push_back(static_cast<int>(start));
      while (!queue.empty()) {
        int q = queue.front();
        queue.pop_front();
        comp.push_back(q);
        int y = q / w, x = q % w;
        const int nb[4][2] = {{y - 1, x}, {y + 1, x}, {y, x - 1}, {y, x + 1}};
        for (const auto& n : nb) {
          if (n[0] < 0 || n[0] >= h || n[1] < 0 || n[1] >= w) continue;
          int id = n[0] * static_cast<int>(w) + n[1];
          if (label[id] < 0 && src[id] > threshold) {
            label[id] = label[start];
            queue.push_back(id);
          }
        }
      }
      comps.push_back(std::move(comp));
    }
    std::sort(comps.begin(), comps.end(),
              [](const auto& a, const auto& c) { return a.size() > c.size(); });
    float* dst = masks[i].data_ptr<float>();
    for (int k = 0, used = 0; k < static_cast<int>(comps.size()) && used < max_candidates; ++k) {
      if (static_cast<int>(comps[k].size()) < min_pixels) break;
      for (int q : comps[k]) dst[used * h * w + q] = 1.0f;
      valid[i][used] = 1.0f;
      ++used;
    }
  }
  return {masks.to(prob.device()), valid.to(prob.device())};
}

LsmsNetImpl::LsmsNetImpl(const ModelConfig& c) : config(c) {
  text = register_module("text", TextEncoder(c));
  vision = register_module("vision", VisionEncoder(c));
  decoder = register_module("decoder", FullScaleDecoder(c));
  if (c.refine_channels > 0) {
    refine = register_module("refine", RefineHead(static_cast<int>(c.windows.size()),
                                                  c.decoder_dim / 2, kLogitChannels,
                                                  c.refine_channels));
  }
  const int d = c.decoder_dim, t = c.text_dim, e = c.embed_dim;
  present_head = register_module(
      "present_head", nn::Sequential(nn::Linear(2 * d + t, d), nn::GELU(), nn::Linear(d, 1)));
  visual_embed = register_module("visual_embed",
                                 nn::Sequential(nn::Linear(d, e), nn::GELU(), nn::Linear(e, e)));
  text_embed = register_module("text_embed",
                               nn::Sequential(nn::Linear(t, e), nn::GELU(), nn::Linear(e, e)));
  logit_scale = register_parameter("logit_scale", torch::full({1}, std::log(1.0 / 0.07)));
  cand_encoder = register_module(
      "cand_encoder",
      nn::Sequential(nn::Linear(d / 2 + kGeometryFeatures, e), nn::GELU(), nn::Linear(e, e)));
  cand_q = register_module("cand_q", nn::Linear(e, e));
  cand_k = register_module("cand_k", nn::Linear(t, e));
  cand_v = register_module("cand_v", nn::Linear(t, e));
  cand_sent = register_module("cand_sent", nn::Linear(t, e));
  cand_score = register_module(
      "cand_score", nn::Sequential(nn::Linear(3 * e, e), nn::GELU(), nn::Linear(e, 1)));
  if (c.candidate_relation_heads > 0) {
    cand_relation = register_module("cand_relation", CandidateRelation(e, c.candidate_relation_heads));
  }
  if (c.candidate_liver_frame) {
    cand_frame = register_module(
        "cand_frame", nn::Sequential(nn::Linear(kLiverFrameFeatures, e), nn::GELU(), nn::Linear(e, e)));
    // A zero residual: adding the branch to a trained checkpoint keeps its scores.
    torch::NoGradGuard no_grad;
    auto last = cand_frame->ptr(2)->as<nn::Linear>();
    last->weight.zero_();
    last->bias.zero_();
  }
}

NetOutputs LsmsNetImpl::forward(const NetInputs& in) {
  const int64_t b = in.image.size(0), s = in.image.size(2);
  auto image = in.image;
  if (config.coord_channels) {
    auto lin = torch::linspace(-1.0, 1.0, s, image.options());
    auto xs = lin.view({1, 1, 1, s}).expand({b, 1, s, s});
    auto ys = lin.view({1, 1, s, 1}).expand({b, 1, s, s});
    image = torch::cat({image, xs, ys}, 1);
  }
  NetOutputs out;
  out.words = in.words.defined() ? in.words : text(in.ids, in.mask);
  auto m = in.mask.to(out.words.dtype()).unsqueeze(-1);
  out.sentence = (out.words * m).sum(1) / m.sum(1).clamp_min(1.0);
  auto feats = vision(image, out.words, in.mask);
  auto dec = decoder(feats, out.words, in.mask);
  auto logits = refine ? refine(in.image, dec.fine, dec.logits) : ResizeBilinear(dec.logits, s, s);
  out.ref_logits = logits.select(1, kRefChannel);
  out.all_logits = logits.select(1, kAllLesionsChannel);
  out.liver_logits = logits.select(1, kLiverChannel);
  out.visual = dec.visual;
  auto g = dec.global.flatten(2);
  out.present_logit =
      present_head->forward(torch::cat({g.mean(2), g.amax(2), out.sentence}, 1)).squeeze(1);

  out.fine = dec.fine;
  if (config.selection_head && in.candidates.defined() && in.candidates.size(1) > 0) {
    out.candidate_logits = ScoreCandidates(out, in);
  }
  return out;
}

torch::Tensor LsmsNetImpl::ScoreCandidates(const NetOutputs& out, const NetInputs& in) {
  auto liver = in.liver.defined() ? in.liver : torch::sigmoid(out.liver_logits).detach();
  auto geometry =
      CandidateGeometry(in.candidates, in.candidate_valid, liver, in.image, in.mm_per_pixel);
  auto pooled = MaskPool(out.fine, in.candidates);
  auto h = cand_encoder->forward(torch::cat({pooled, geometry}, -1));  // B×K×E
  if (cand_frame) h = h + cand_frame->forward(CandidateLiverFrame(in.candidates, in.candidate_valid, liver));
  if (cand_relation) h = cand_relation(h, in.candidate_valid);
  auto scores = torch::matmul(cand_q(h), cand_k(out.words).transpose(1, 2)) /
                std::sqrt(static_cast<double>(config.embed_dim));
  auto attn = torch::softmax(scores + AdditiveTokenMask(in.mask, scores.scalar_type()), -1);
  auto ctx = torch::matmul(attn, cand_v(out.words));
  auto sent = cand_sent(out.sentence).unsqueeze(1);
  auto logit = cand_score->forward(torch::cat({h, ctx, h * sent}, -1)).squeeze(-1);
  return torch::where(in.candidate_valid > 0, logit, torch::full_like(logit, -1e4));
}

torch::Tensor LsmsNetImpl::ReferredProbability(const NetOutputs& out, const NetInputs& in, bool gate) {
  auto ref = torch::sigmoid(out.ref_logits);
  torch::Tensor prob = ref;
  if (config.selection_head) {
    auto all = torch::sigmoid(out.all_logits);
    auto [cand, valid] =
        ExtractCandidates(all, config.candidate_threshold, config.max_candidates, /*min_pixels=*/3);
    NetInputs with = in;
    with.candidates = cand.to(all.dtype());
    with.candidate_valid = valid.to(all.dtype());
    auto sel = torch::sigmoid(ScoreCandidates(out, with)) * with.candidate_valid;  // B×K
    // Components are disjoint: the sum over candidates is each pixel's own.
    auto selected = (with.candidates * sel.unsqueeze(-1).unsqueeze(-1)).sum(1);    // B×S×S
    auto any = (with.candidate_valid.sum(1) > 0).to(all.dtype()).view({-1, 1, 1});
    auto referred = config.selection_mask == "instance" ? selected : all * selected;
    prob = any * referred + (1 - any) * ref;
  }
  if (!gate) return prob;
  auto keep = torch::sigmoid(out.present_logit) >= config.present_threshold;
  if (config.peak_threshold > 0) keep = keep & (prob.flatten(1).amax(1) >= config.peak_threshold);
  return prob * keep.to(prob.dtype()).view({-1, 1, 1});
}

std::pair<torch::Tensor, torch::Tensor> LsmsNetImpl::ContrastiveEmbeddings(
    const NetOutputs& out, const torch::Tensor& target) {
  auto pooled = MaskPool(out.visual, target.unsqueeze(1)).squeeze(1);  // B×D
  auto v = F::normalize(visual_embed->forward(pooled), F::NormalizeFuncOptions().dim(-1));
  auto t = F::normalize(text_embed->forward(out.sentence), F::NormalizeFuncOptions().dim(-1));
  return {v, t};
}

torch::Tensor LsmsNetImpl::TokenRelevance(const torch::Tensor& mask_prob,
                                          const torch::Tensor& word_mask) {
  auto modules = vision->svla_modules();
  const size_t last = static_cast<size_t>(config.depths[2] + config.depths[3]);
  torch::Tensor total;
  int used = 0;
  for (size_t i = modules.size() - std::min(last, modules.size()); i < modules.size(); ++i) {
    const auto& attn = modules[i]->last_attention;  // B×HW×T
    if (!attn.defined()) continue;
    int64_t hw = attn.size(1);
    int64_t side = static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(hw))));
    auto wmap = F::adaptive_avg_pool2d(mask_prob.unsqueeze(1).to(attn.dtype()),
                                       F::AdaptiveAvgPool2dFuncOptions({side, side}))
                    .flatten(1);  // B×HW
    auto empty = (wmap.sum(1, true) < 1e-3).to(attn.dtype());
    wmap = wmap + empty;  // whole image where the mask is empty
    auto rel = (attn * wmap.unsqueeze(-1)).sum(1) / wmap.sum(1, true);
    total = total.defined() ? total + rel : rel;
    ++used;
  }
  if (!total.defined()) return torch::zeros(word_mask.sizes(), mask_prob.options());
  total = total * word_mask.to(total.dtype());
  return total / total.sum(1, true).clamp_min(1e-9);
}

}  // namespace lsms
