#include "model/candidate_relation.h"

#include <cmath>

namespace lsms {

namespace nn = torch::nn;

CandidateRelationImpl::CandidateRelationImpl(int dim, int h) : heads(h) {
  norm = register_module("norm", nn::LayerNorm(nn::LayerNormOptions({dim})));
  qkv = register_module("qkv", nn::Linear(dim, 3 * dim));
  out = register_module("out", nn::Linear(dim, dim));
  // Zero residual at the start: adding the block to a trained model keeps its scores.
  torch::NoGradGuard no_grad;
  out->weight.zero_();
  out->bias.zero_();
}

torch::Tensor CandidateRelationImpl::forward(const torch::Tensor& h, const torch::Tensor& valid) {
  const int64_t b = h.size(0), k = h.size(1), e = h.size(2), d = e / heads;
  auto split = [&](const torch::Tensor& x) { return x.view({b, k, heads, d}).transpose(1, 2); };  // B×H×K×d
  auto parts = qkv(norm(h)).chunk(3, -1);
  auto q = split(parts[0]), key = split(parts[1]), v = split(parts[2]);
  auto scores = torch::matmul(q, key.transpose(-1, -2)) / std::sqrt(static_cast<double>(d));  // B×H×K×K
  // Keys of invalid candidates are masked; a query row with no valid key
  // (an image without candidates) attends uniformly and is masked below.
  auto v_mask = valid.to(h.dtype()).view({b, 1, 1, k});
  auto attn = torch::softmax(scores + (1 - v_mask) * -1e4, -1);
  auto ctx = torch::matmul(attn, v).transpose(1, 2).reshape({b, k, e});
  return h + out(ctx) * valid.to(h.dtype()).unsqueeze(-1);
}

}  // namespace lsms
