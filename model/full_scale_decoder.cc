#include "model/full_scale_decoder.h"

#include <cmath>

#include <torch/nn/functional/activation.h>
#include <torch/nn/functional/pooling.h>
#include <torch/nn/modules/activation.h>

#include "model/vision_encoder.h"

namespace lsms {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

namespace {

// Multi-head attention over already projected q (B×N×D), k, v (B×M×D).
torch::Tensor Attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                     int heads, const torch::Tensor& additive_mask = {}) {
  const int64_t b = q.size(0), n = q.size(1), m = k.size(1), d = q.size(2), hd = d / heads;
  auto qh = q.view({b, n, heads, hd}).transpose(1, 2);
  auto kh = k.view({b, m, heads, hd}).transpose(1, 2);
  auto vh = v.view({b, m, heads, hd}).transpose(1, 2);
  auto s = torch::matmul(qh, kh.transpose(-1, -2)) / std::sqrt(static_cast<double>(hd));
  if (additive_mask.defined()) s = s + additive_mask.unsqueeze(1);  // B×1×1×M
  return torch::matmul(torch::softmax(s, -1), vh).transpose(1, 2).reshape({b, n, d});
}

nn::Conv2d Conv3x3(int in, int out) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1).bias(false));
}

}  // namespace

FullScaleDecoderImpl::FullScaleDecoderImpl(const ModelConfig& c)
    : dim(c.decoder_dim), heads(c.decoder_heads), sr_ratio(c.decoder_sr_ratio) {
  scale_proj = register_module("scale_proj", nn::ModuleList());
  for (int s = 1; s < 4; ++s) scale_proj->push_back(nn::Conv2d(nn::Conv2dOptions(c.channels[s], dim, 1)));
  p1_proj = register_module("p1_proj", nn::Conv2d(nn::Conv2dOptions(c.channels[0], dim, 1)));
  scale_q = register_module("scale_q", nn::Linear(dim, dim));
  scale_k = register_module("scale_k", nn::Linear(dim, dim));
  scale_v = register_module("scale_v", nn::Linear(dim, dim));
  norm_sa = register_module("norm_sa", nn::LayerNorm(nn::LayerNormOptions({dim})));
  norm_ca = register_module("norm_ca", nn::LayerNorm(nn::LayerNormOptions({dim})));
  norm_ffn = register_module("norm_ffn", nn::LayerNorm(nn::LayerNormOptions({dim})));
  sa_q = register_module("sa_q", nn::Linear(dim, dim));
  sa_kv = register_module("sa_kv", nn::Linear(dim, 2 * dim));
  sa_out = register_module("sa_out", nn::Linear(dim, dim));
  sr = register_module("sr", nn::Conv2d(nn::Conv2dOptions(dim, dim, sr_ratio).stride(sr_ratio)));
  sr_norm = register_module("sr_norm", nn::LayerNorm(nn::LayerNormOptions({dim})));
  ca_q = register_module("ca_q", nn::Linear(dim, dim));
  ca_k = register_module("ca_k", nn::Linear(c.text_dim, dim));
  ca_v = register_module("ca_v", nn::Linear(c.text_dim, dim));
  ca_out = register_module("ca_out", nn::Linear(dim, dim));
  pos = register_module("pos", nn::Linear(32, dim));
  ffn = register_module("ffn", nn::Sequential(nn::Linear(dim, 4 * dim), nn::GELU(),
                                              nn::Linear(4 * dim, dim)));
  f1_proj = register_module("f1_proj", nn::Conv2d(nn::Conv2dOptions(c.channels[0], dim / 2, 1)));
  fuse = register_module("fuse", nn::Sequential(Conv3x3(dim + dim / 2, dim / 2), nn::BatchNorm2d(dim / 2), nn::ReLU(),
                     Conv3x3(dim / 2, dim / 2), nn::BatchNorm2d(dim / 2), nn::ReLU()));
  head = register_module("head", nn::Conv2d(nn::Conv2dOptions(dim / 2, kLogitChannels, 1)));
}

DecoderOutput FullScaleDecoderImpl::forward(const std::vector<torch::Tensor>& f,
                                            const torch::Tensor& words,
                                            const torch::Tensor& word_mask) {
  const int64_t b = f[1].size(0), h = f[1].size(2), w = f[1].size(3);
  // Position Alignment onto the stride-8 grid.
  auto p1 = F::avg_pool2d(f[0], F::AvgPool2dFuncOptions(2));
  std::vector<torch::Tensor> tokens;
  for (int s = 1; s < 4; ++s) {
    auto p = ResizeBilinear(f[s], h, w);
    tokens.push_back(scale_proj[s - 1]->as<nn::Conv2d>()->forward(p).flatten(2).transpose(1, 2));
  }
  // Scale attention: per position, attend across the three scale tokens.
  auto st = torch::stack(tokens, 2).reshape({b * h * w, 3, dim});  // (B·HW)×3×D
  auto sq = scale_q(st.mean(1, /*keepdim=*/true));
  auto sw = torch::softmax(torch::matmul(sq, scale_k(st).transpose(1, 2)) / std::sqrt(double(dim)), -1);
  auto fused = torch::matmul(sw, scale_v(st)).reshape({b, h * w, dim});
  fused = fused + p1_proj(p1).flatten(2).transpose(1, 2);
  DecoderOutput out;
  out.visual = fused.transpose(1, 2).reshape({b, dim, h, w});

  // Global self-attention with spatial reduction and 2-D positions.
  auto pe = pos(PositionalEncoding2d(h, w, 32, fused.options()).flatten(1).t().unsqueeze(0));
  auto x = fused + pe;
  auto y = norm_sa(x);
  auto y_map = y.transpose(1, 2).reshape({b, dim, h, w});
  auto kv_in = sr_norm(sr(y_map).flatten(2).transpose(1, 2));
  auto kv = sa_kv(kv_in).chunk(2, -1);
  x = x + sa_out(Attend(sa_q(y), kv[0], kv[1], heads));
  // Cross-attention to the words.
  auto z = norm_ca(x);
  x = x + ca_out(Attend(ca_q(z), ca_k(words), ca_v(words), heads,
                        AdditiveTokenMask(word_mask, z.scalar_type())));
  x = x + ffn->forward(norm_ffn(x));
  out.global = x.transpose(1, 2).reshape({b, dim, h, w});

  // Boundary path at stride 4.
  auto up = ResizeBilinear(out.global, f[0].size(2), f[0].size(3));
  out.fine = fuse->forward(torch::cat({up, f1_proj(f[0])}, 1));
  out.logits = head(out.fine);
  return out;
}

}  // namespace lsms
