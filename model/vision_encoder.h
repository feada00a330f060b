// Language-guided vision encoder of LSMS: vision embedding, then 4 stages of
// encoder blocks, each block built around SVLA (Scale-aware Vision-Language
// Attention). Shapes: image B×Cin×H×W, words B×T×Dt with mask B×T; outputs
// F1..F4 at strides 4, 8, 16, 32 with config.channels[i] channels.
#ifndef LSMS_MODEL_VISION_ENCODER_H_
#define LSMS_MODEL_VISION_ENCODER_H_

#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include "model/model_config.h"

namespace lsms {

// Fixed 2-D sinusoidal positional encoding, dim×h×w (dim divisible by 4):
// half the channels encode x, half y. Explicit position for "right lobe",
// "near the dome": attention over locations is otherwise position-blind.
torch::Tensor PositionalEncoding2d(int64_t h, int64_t w, int64_t dim,
                                   const torch::TensorOptions& options);

// Bilinear resize of B×C×H×W to B×C×h×w (align_corners false); x itself when
// the size already matches.
torch::Tensor ResizeBilinear(const torch::Tensor& x, int64_t h, int64_t w);

// Additive attention mask B×1×T from a B×T {0,1} token mask.
torch::Tensor AdditiveTokenMask(const torch::Tensor& mask, torch::ScalarType dtype);

// SVLA: a = DW5×5(x); visual multi-scale strips s_k = DWk×1(DW1×k(a)) for
// k in strip_kernels; in parallel pixel→word cross-attention c (queries from
// a + 2-D position, keys/values from the words, padding masked, 1/√C) with a
// learned gate tanh(W2·ReLU(W1·c)) ⊙ c; attn = 1×1(a + Σ s_k + c);
// output attn ⊙ x.
struct SvlaImpl : torch::nn::Module {
  SvlaImpl(int channels, int text_dim, const std::vector<int>& strip_kernels);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& words,
                        const torch::Tensor& word_mask);
  int channels;
  torch::nn::Conv2d dw5{nullptr};
  torch::nn::ModuleList strips_h{nullptr}, strips_v{nullptr};
  torch::nn::Conv2d query{nullptr}, pos_proj{nullptr};
  torch::nn::Linear key{nullptr}, value{nullptr};
  torch::nn::Conv2d gate1{nullptr}, gate2{nullptr};
  torch::nn::Conv2d mix{nullptr};
  // B×(H·W)×T attention of the last forward, kept for token relevance.
  torch::Tensor last_attention;
};
TORCH_MODULE(Svla);

// Pre-norm residual block: x += γ1·SVLAPath(BN(x), L); x += γ2·MLP(BN(x)),
// with layer scale and stochastic depth.
struct EncoderBlockImpl : torch::nn::Module {
  EncoderBlockImpl(int channels, int mlp_ratio, float drop_path, const ModelConfig& c);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& words,
                        const torch::Tensor& word_mask);
  float drop_path;
  torch::nn::BatchNorm2d norm1{nullptr}, norm2{nullptr};
  torch::nn::Conv2d proj1{nullptr}, proj2{nullptr};
  Svla svla{nullptr};
  torch::nn::Conv2d fc1{nullptr}, dw{nullptr}, fc2{nullptr};
  torch::Tensor gamma1, gamma2;
};
TORCH_MODULE(EncoderBlock);

struct VisionEncoderImpl : torch::nn::Module {
  explicit VisionEncoderImpl(const ModelConfig& c);
  // Returns {F1, F2, F3, F4}.
  std::vector<torch::Tensor> forward(const torch::Tensor& image, const torch::Tensor& words,
                                     const torch::Tensor& word_mask);
  // SVLA modules of every block, stage by stage (for token relevance).
  std::vector<Svla> svla_modules() const;

  torch::nn::Sequential stem{nullptr};
  torch::nn::ModuleList downsample{nullptr};  // stages 2..4
  torch::nn::ModuleList stages{nullptr};      // ModuleList of blocks per stage
  torch::nn::ModuleList norms{nullptr};
};
TORCH_MODULE(VisionEncoder);

}  // namespace lsms

#endif  // LSMS_MODEL_VISION_ENCODER_H_
