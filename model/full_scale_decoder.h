// Full-Scale Decoder (FSD) of LSMS.
//  - Position Alignment: F1..F4 (strides 4..32) → P1..P4 on the stride-8 grid,
//    channels unchanged (F1 by 2×2 average pooling, F3/F4 bilinear).
//  - Cross-scale global modelling of P2..P4: each projected to D; at every
//    position a scale attention across the three scale tokens; then global
//    multi-head self-attention with spatial reduction (PVT-style) with 2-D
//    positional encodings, and cross-attention to the words; FFN.
//  - Boundary path: upsample to stride 4, concatenate a projection of F1, two
//    3×3 conv+BN+ReLU, 1×1 → logits at stride 4.
// Output channels of the logits: 0 = referred lesion(s), 1 = all lesions
// (text-free target), 2 = liver (text-free target).
#ifndef LSMS_MODEL_FULL_SCALE_DECODER_H_
#define LSMS_MODEL_FULL_SCALE_DECODER_H_

#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include "model/model_config.h"

namespace lsms {

inline constexpr int kRefChannel = 0;
inline constexpr int kAllLesionsChannel = 1;
inline constexpr int kLiverChannel = 2;
inline constexpr int kLogitChannels = 3;

struct DecoderOutput {
  torch::Tensor logits;        // B×3×H/4×W/4
  torch::Tensor visual;        // B×D×H/8×W/8 scale-fused features before the words
  torch::Tensor global;        // B×D×H/8×W/8 after global modelling
  torch::Tensor fine;          // B×D/2×H/4×W/4 boundary-path features before logits
};

struct FullScaleDecoderImpl : torch::nn::Module {
  explicit FullScaleDecoderImpl(const ModelConfig& c);
  DecoderOutput forward(const std::vector<torch::Tensor>& features, const torch::Tensor& words,
                        const torch::Tensor& word_mask);

  int dim, heads, sr_ratio;
  torch::nn::ModuleList scale_proj{nullptr};  // P2..P4 → D
  torch::nn::Conv2d p1_proj{nullptr};
  torch::nn::Linear scale_q{nullptr}, scale_k{nullptr}, scale_v{nullptr};
  torch::nn::LayerNorm norm_sa{nullptr}, norm_ca{nullptr}, norm_ffn{nullptr};
  torch::nn::Linear sa_q{nullptr}, sa_kv{nullptr}, sa_out{nullptr};
  torch::nn::Conv2d sr{nullptr};
  torch::nn::LayerNorm sr_norm{nullptr};
  torch::nn::Linear ca_q{nullptr}, ca_k{nullptr}, ca_v{nullptr}, ca_out{nullptr};
  torch::nn::Linear pos{nullptr};
  torch::nn::Sequential ffn{nullptr};
  torch::nn::Conv2d f1_proj{nullptr};
  torch::nn::Sequential fuse{nullptr};
  torch::nn::Conv2d head{nullptr};
};
TORCH_MODULE(FullScaleDecoder);

}  // namespace lsms

#endif  // LSMS_MODEL_FULL_SCALE_DECODER_H_
