#include "model/vision_encoder.h"

#include <cmath>

#include <torch/nn/functional/activation.h>
#include <torch/nn/functional/upsampling.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/container/sequential.h>

namespace lsms {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

namespace {

nn::Conv2d Conv(int in, int out, int k, int stride = 1, int groups = 1) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, k).stride(stride).padding(k / 2).groups(groups));
}

nn::Conv2d DepthwiseStrip(int channels, int kh, int kw) {
  return nn::Conv2d(nn::Conv2dOptions(channels, channels, {kh, kw})
                        .padding({kh / 2, kw / 2})
                        .groups(channels));
}

// Drops whole residual branches per sample during training.
torch::Tensor DropPath(const torch::Tensor& x, float p, bool training) {
  if (!training || p <= 0.0f) return x;
  auto keep = torch::empty({x.size(0), 1, 1, 1}, x.options()).bernoulli_(1.0 - p);
  return x * keep / (1.0 - p);
}

}  // namespace

torch::Tensor PositionalEncoding2d(int64_t h, int64_t w, int64_t dim,
                                   const torch::TensorOptions& options) {
  const int64_t quarter = dim / 4;
  auto fopts = options.dtype(torch::kFloat32);
  auto freq = torch::exp(torch::arange(quarter, fopts) * (-std::log(100.0) / std::max<int64_t>(quarter, 1)));
  // Normalised coordinates in [0, 1] scaled to ~2π so low frequencies span the image.
  auto ys = (torch::arange(h, fopts) + 0.5) / h * 6.2831853;
  auto xs = (torch::arange(w, fopts) + 0.5) / w * 6.2831853;
  auto fy = ys.unsqueeze(1) * freq.unsqueeze(0) * (quarter > 0 ? 4.0 : 1.0);  // h×q
  auto fx = xs.unsqueeze(1) * freq.unsqueeze(0) * (quarter > 0 ? 4.0 : 1.0);  // w×q
  auto py = torch::cat({fy.sin(), fy.cos()}, 1).t().unsqueeze(2).expand({2 * quarter, h, w});
  auto px = torch::cat({fx.sin(), fx.cos()}, 1).t().unsqueeze(1).expand({2 * quarter, h, w});
  auto pe = torch::cat({px, py}, 0);
  if (pe.size(0) < dim) {
    pe = torch::cat({pe, torch::zeros({dim - pe.size(0), h, w}, fopts)}, 0);
  }
  return pe.to(options.dtype());
}

torch::Tensor ResizeBilinear(const torch::Tensor& x, int64_t h, int64_t w) {
  if (x.size(2) == h && x.size(3) == w) return x;
  return F::interpolate(x, F::InterpolateFuncOptions()
                               .size(std::vector<int64_t>{h, w})
                               .mode(torch::kBilinear)
                               .align_corners(false));
}

torch::Tensor AdditiveTokenMask(const torch::Tensor& mask, torch::ScalarType dtype) {
  return ((1.0 - mask.to(dtype)) * -10000.0).unsqueeze(1);
}

SvlaImpl::SvlaImpl(int c, int text_dim, const std::vector<int>& kernels) : channels(c) {
  dw5 = register_module("dw5", Conv(c, c, 5, 1, c));
  strips_h = register_module("strips_h", nn::ModuleList());
  strips_v = register_module("strips_v", nn::ModuleList());
  for (int k : kernels) {
    strips_h->push_back(DepthwiseStrip(c, 1, k));
    strips_v->push_back(DepthwiseStrip(c, k, 1));
  }
  query = register_module("query", Conv(c, c, 1));
  pos_proj = register_module("pos_proj", Conv(32, c, 1));
  key = register_module("key", nn::Linear(text_dim, c));
  value = register_module("value", nn::Linear(text_dim, c));
  gate1 = register_module("gate1", Conv(c, std::max(c / 4, 8), 1));
  gate2 = register_module("gate2", Conv(std::max(c / 4, 8), c, 1));
  mix = register_module("mix", Conv(c, c, 1));
}

torch::Tensor SvlaImpl::forward(const torch::Tensor& x, const torch::Tensor& words,
                                const torch::Tensor& word_mask) {
  auto a = dw5(x);
  // Visual branch: multi-scale strip convolutions.
  auto sum = a;
  for (size_t i = 0; i < strips_h->size(); ++i) {
    sum = sum + strips_v[i]->as<nn::Conv2d>()->forward(strips_h[i]->as<nn::Conv2d>()->forward(a));
  }
  // Linguistic branch, in parallel from the same `a`.
  const int64_t b = x.size(0), h = x.size(2), w = x.size(3);
  auto pe = PositionalEncoding2d(h, w, 32, a.options()).unsqueeze(0);
  auto q = (query(a) + pos_proj(pe)).flatten(2).transpose(1, 2);  // B×HW×C
  auto k = key(words);                                             // B×T×C
  auto v = value(words);
  auto scores = torch::matmul(q, k.transpose(1, 2)) / std::sqrt(static_cast<double>(channels));
  auto attn = torch::softmax(scores + AdditiveTokenMask(word_mask, scores.scalar_type()), -1);
  last_attention = attn.detach();
  auto ctx = torch::matmul(attn, v).transpose(1, 2).reshape({b, channels, h, w});
  auto c = torch::tanh(gate2(torch::relu(gate1(ctx)))) * ctx;
  return mix(sum + c) * x;
}

EncoderBlockImpl::EncoderBlockImpl(int ch, int mlp_ratio, float dp, const ModelConfig& c)
    : drop_path(dp) {
  norm1 = register_module("norm1", nn::BatchNorm2d(ch));
  norm2 = register_module("norm2", nn::BatchNorm2d(ch));
  proj1 = register_module("proj1", Conv(ch, ch, 1));
  svla = register_module("svla", Svla(ch, c.text_dim, c.strip_kernels));
  proj2 = register_module("proj2", Conv(ch, ch, 1));
  fc1 = register_module("fc1", Conv(ch, ch * mlp_ratio, 1));
  dw = register_module("dw", Conv(ch * mlp_ratio, ch * mlp_ratio, 3, 1, ch * mlp_ratio));
  fc2 = register_module("fc2", Conv(ch * mlp_ratio, ch, 1));
  gamma1 = register_parameter("gamma1", torch::full({1, ch, 1, 1}, c.layer_scale_init));
  gamma2 = register_parameter("gamma2", torch::full({1, ch, 1, 1}, c.layer_scale_init));
}

torch::Tensor EncoderBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& words,
                                        const torch::Tensor& word_mask) {
  auto y = norm1(x);
  auto path = F::gelu(proj1(y));
  path = proj2(svla(path, words, word_mask)) + y;  // SVLAPath has its own shortcut
  auto out = x + DropPath(gamma1 * path, drop_path, is_training());
  auto m = fc2(F::gelu(dw(fc1(norm2(out)))));
  return out + DropPath(gamma2 * m, drop_path, is_training());
}

VisionEncoderImpl::VisionEncoderImpl(const ModelConfig& c) {
  const int c1 = c.channels[0];
  stem = register_module(
      "stem", nn::Sequential(Conv(c.in_channels(), c1 / 2, 3, 2), nn::BatchNorm2d(c1 / 2),
                             nn::GELU(), Conv(c1 / 2, c1, 3, 2), nn::BatchNorm2d(c1)));
  downsample = register_module("downsample", nn::ModuleList());
  stages = register_module("stages", nn::ModuleList());
  norms = register_module("norms", nn::ModuleList());
  int total = 0;
  for (int d : c.depths) total += d;
  int index = 0;
  for (int s = 0; s < 4; ++s) {
    if (s > 0) {
      downsample->push_back(nn::Sequential(Conv(c.channels[s - 1], c.channels[s], 3, 2),
                                           nn::BatchNorm2d(c.channels[s])));
    }
    auto blocks = nn::ModuleList();
    for (int d = 0; d < c.depths[s]; ++d, ++index) {
      float dp = total > 1 ? c.drop_path * index / (total - 1) : 0.0f;
      blocks->push_back(EncoderBlock(c.channels[s], c.mlp_ratios[s], dp, c));
    }
    stages->push_back(blocks);
    norms->push_back(nn::BatchNorm2d(c.channels[s]));
  }
}

std::vector<torch::Tensor> VisionEncoderImpl::forward(const torch::Tensor& image,
                                                      const torch::Tensor& words,
                                                      const torch::Tensor& word_mask) {
  std::vector<torch::Tensor> features;
  auto x = stem->forward(image);
  for (size_t s = 0; s < stages->size(); ++s) {
    if (s > 0) x = downsample[s - 1]->as<nn::Sequential>()->forward(x);
    for (const auto& block : *stages[s]->as<nn::ModuleList>()) {
      x = block->as<EncoderBlock>()->forward(x, words, word_mask);
    }
    x = norms[s]->as<nn::BatchNorm2d>()->forward(x);
    features.push_back(x);
  }
  return features;
}

std::vector<Svla> VisionEncoderImpl::svla_modules() const {
  std::vector<Svla> out;
  for (const auto& stage : *stages) {
    for (const auto& block : *stage->as<nn::ModuleList>()) {
      out.push_back(block->as<EncoderBlock>()->svla);
    }
  }
  return out;
}

}  // namespace lsms
