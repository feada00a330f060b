#include "model/text_encoder.h"

#include <cmath>

#include <torch/nn/functional/activation.h>
#include <torch/nn/init.h>

namespace lsms {

namespace F = torch::nn::functional;

BertEmbeddingsImpl::BertEmbeddingsImpl(const ModelConfig& c) {
  word_embeddings = register_module("word_embeddings",
                                    torch::nn::Embedding(std::max(c.vocab_size, 1), c.text_dim));
  position_embeddings =
      register_module("position_embeddings", torch::nn::Embedding(c.max_position, c.text_dim));
  token_type_embeddings =
      register_module("token_type_embeddings", torch::nn::Embedding(c.type_vocab_size, c.text_dim));
  LayerNorm = register_module(
      "LayerNorm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.text_dim}).eps(1e-12)));
  dropout = register_module("dropout", torch::nn::Dropout(c.text_dropout));
  // BERT's initialiser: N(0, 0.02).
  for (auto* e : {&word_embeddings, &position_embeddings, &token_type_embeddings}) {
    torch::nn::init::normal_((*e)->weight, 0.0, 0.02);
  }
}

torch::Tensor BertEmbeddingsImpl::forward(const torch::Tensor& ids) {
  const int64_t t = ids.size(1);
  auto pos = torch::arange(t, ids.options()).unsqueeze(0);
  auto x = word_embeddings(ids) + position_embeddings(pos) +
           token_type_embeddings(torch::zeros_like(ids));
  return dropout(LayerNorm(x));
}

BertResidualOutputImpl::BertResidualOutputImpl(int in, int out, float dropout_p) {
  dense = register_module("dense", torch::nn::Linear(in, out));
  LayerNorm = register_module(
      "LayerNorm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({out}).eps(1e-12)));
  dropout = register_module("dropout", torch::nn::Dropout(dropout_p));
}

torch::Tensor BertResidualOutputImpl::forward(const torch::Tensor& x,
                                              const torch::Tensor& residual) {
  return LayerNorm(dropout(dense(x)) + residual);
}

BertSelfAttentionImpl::BertSelfAttentionImpl(int dim, int heads_, float dropout_p) : heads(heads_) {
  query = register_module("query", torch::nn::Linear(dim, dim));
  key = register_module("key", torch::nn::Linear(dim, dim));
  value = register_module("value", torch::nn::Linear(dim, dim));
  dropout = register_module("dropout", torch::nn::Dropout(dropout_p));
}

torch::Tensor BertSelfAttentionImpl::forward(const torch::Tensor& x,
                                             const torch::Tensor& additive_mask) {
  const int64_t b = x.size(0), t = x.size(1), d = x.size(2), hd = d / heads;
  auto split = [&](const torch::Tensor& y) { return y.view({b, t, heads, hd}).transpose(1, 2); };
  auto q = split(query(x)), k = split(key(x)), v = split(value(x));
  auto scores = torch::matmul(q, k.transpose(-1, -2)) / std::sqrt(static_cast<double>(hd));
  auto probs = dropout(torch::softmax(scores + additive_mask, -1));
  return torch::matmul(probs, v).transpose(1, 2).reshape({b, t, d});
}

BertAttentionImpl::BertAttentionImpl(int dim, int heads, float dropout_p) {
  self = register_module("self", BertSelfAttention(dim, heads, dropout_p));
  output = register_module("output", BertResidualOutput(dim, dim, dropout_p));
}

torch::Tensor BertAttentionImpl::forward(const torch::Tensor& x,
                                         const torch::Tensor& additive_mask) {
  return output(self(x, additive_mask), x);
}

BertIntermediateImpl::BertIntermediateImpl(int dim, int ffn) {
  dense = register_module("dense", torch::nn::Linear(dim, ffn));
}

torch::Tensor BertIntermediateImpl::forward(const torch::Tensor& x) { return F::gelu(dense(x)); }

BertLayerImpl::BertLayerImpl(const ModelConfig& c) {
  attention = register_module("attention", BertAttention(c.text_dim, c.text_heads, c.text_dropout));
  intermediate = register_module("intermediate", BertIntermediate(c.text_dim, c.text_ffn));
  output = register_module("output", BertResidualOutput(c.text_ffn, c.text_dim, c.text_dropout));
}

torch::Tensor BertLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& additive_mask) {
  auto a = attention(x, additive_mask);
  return output(intermediate(a), a);
}

BertEncoderImpl::BertEncoderImpl(const ModelConfig& c) {
  layer = register_module("layer", torch::nn::ModuleList());
  for (int i = 0; i < c.text_layers; ++i) layer->push_back(BertLayer(c));
}

TextEncoderImpl::TextEncoderImpl(const ModelConfig& c) {
  ModelConfig bert = c;
  bert.text_dim = c.text_hidden();
  embeddings = register_module("embeddings", BertEmbeddings(bert));
  encoder = register_module("encoder", BertEncoder(bert));
  if (bert.text_dim != c.text_dim) {
    proj = register_module("proj", torch::nn::Linear(bert.text_dim, c.text_dim));
  }
}

void TextEncoderImpl::FreezePretrained() {
  for (auto& p : embeddings->parameters()) p.set_requires_grad(false);
  for (auto& p : encoder->parameters()) p.set_requires_grad(false);
  frozen_ = true;
  train(is_training());
}

void TextEncoderImpl::train(bool on) {
  torch::nn::Module::train(on);
  if (frozen_) {
    embeddings->eval();
    encoder->eval();
  }
}

torch::Tensor TextEncoderImpl::forward(const torch::Tensor& ids, const torch::Tensor& mask) {
  auto x = embeddings(ids);
  // HF uses the dtype's minimum; -1e4 is safe under fp16 autocast too.
  auto additive = (1.0 - mask.to(x.dtype()).unsqueeze(1).unsqueeze(2)) * -10000.0;
  for (const auto& m : *encoder->layer) x = m->as<BertLayer>()->forward(x, additive);
  return proj ? proj(x) : x;
}

}  // namespace lsms
