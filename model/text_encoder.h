// BERT text encoder (embeddings + N post-LN transformer layers, GELU FFN),
// sized by ModelConfig. Parameter names match Hugging Face's BertModel
// ("embeddings.word_embeddings.weight", "encoder.layer.0.attention.self.query.weight",
// …) so real bert-base-uncased safetensors load by name.
#ifndef LSMS_MODEL_TEXT_ENCODER_H_
#define LSMS_MODEL_TEXT_ENCODER_H_

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include "model/model_config.h"

namespace lsms {

struct BertEmbeddingsImpl : torch::nn::Module {
  explicit BertEmbeddingsImpl(const ModelConfig& c);
  torch::Tensor forward(const torch::Tensor& ids);
  torch::nn::Embedding word_embeddings{nullptr}, position_embeddings{nullptr},
      token_type_embeddings{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(BertEmbeddings);

// dense → dropout → LayerNorm(x + residual): BERT's "output" sub-blocks.
struct BertResidualOutputImpl : torch::nn::Module {
  BertResidualOutputImpl(int in, int out, float dropout_p);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& residual);
  torch::nn::Linear dense{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(BertResidualOutput);

struct BertSelfAttentionImpl : torch::nn::Module {
  BertSelfAttentionImpl(int dim, int heads, float dropout_p);
  // x: B×T×D; additive_mask: B×1×1×T (0 keep, -inf-ish drop).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& additive_mask);
  int heads;
  torch::nn::Linear query{nullptr}, key{nullptr}, value{nullptr};
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(BertSelfAttention);

struct BertAttentionImpl : torch::nn::Module {
  BertAttentionImpl(int dim, int heads, float dropout_p);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& additive_mask);
  BertSelfAttention self{nullptr};
  BertResidualOutput output{nullptr};
};
TORCH_MODULE(BertAttention);

struct BertIntermediateImpl : torch::nn::Module {
  BertIntermediateImpl(int dim, int ffn);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Linear dense{nullptr};
};
TORCH_MODULE(BertIntermediate);

struct BertLayerImpl : torch::nn::Module {
  explicit BertLayerImpl(const ModelConfig& c);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& additive_mask);
  BertAttention attention{nullptr};
  BertIntermediate intermediate{nullptr};
  BertResidualOutput output{nullptr};
};
TORCH_MODULE(BertLayer);

struct BertEncoderImpl : torch::nn::Module {
  explicit BertEncoderImpl(const ModelConfig& c);
  torch::nn::ModuleList layer{nullptr};
};
TORCH_MODULE(BertEncoder);

// Input: token ids B×T (int64) and attention mask B×T (1 = token).
// Output: word features B×T×text_dim. The BERT part is ModelConfig::text_hidden()
// wide; when that is not text_dim, `proj` (not a BERT tensor) maps it.
struct TextEncoderImpl : torch::nn::Module {
  explicit TextEncoderImpl(const ModelConfig& c);
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& mask);
  // Keeps a pretrained BERT part (embeddings, encoder) as it was pretrained:
  // no gradients, and eval mode (no dropout) even while the net trains. The
  // projection still trains.
  void FreezePretrained();
  bool pretrained_frozen() const { return frozen_; }
  void train(bool on = true) override;
  BertEmbeddings embeddings{nullptr};
  BertEncoder encoder{nullptr};
  torch::nn::Linear proj{nullptr};  // null when the widths agree

 private:
  bool frozen_ = false;
};
TORCH_MODULE(TextEncoder);

}  // namespace lsms

#endif  // LSMS_MODEL_TEXT_ENCODER_H_
