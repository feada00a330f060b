// CandidateRelation: self-attention among the candidate lesions of one image,
// inside the referring selection head (an extension beyond the paper, see
// docs/model.md "The referring selection head").
//
// The head scores each candidate from its own features, explicit geometry and
// the words; the only thing a candidate knows of the others is a few rank
// features computed over all candidates — spurious blobs (vessels) included.
// "The smallest lesion", "the one nearest the hilum" are comparisons: this
// block lets every candidate attend to the other valid candidates of its image
// (pre-norm, multi-head, residual). Its output projection starts at zero, so
// adding it to a trained model keeps its scores exactly (lsms-train
// --candidate_relation_heads).
//
// Not thread-safe (a torch module).
#ifndef LSMS_MODEL_CANDIDATE_RELATION_H_
#define LSMS_MODEL_CANDIDATE_RELATION_H_

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

namespace lsms {

struct CandidateRelationImpl : torch::nn::Module {
  // dim: candidate embedding width (divisible by heads).
  CandidateRelationImpl(int dim, int heads);

  // h: B×K×dim candidate embeddings, valid: B×K {0,1}. Invalid candidates are
  // never attended to and come back unchanged. Returns B×K×dim.
  torch::Tensor forward(const torch::Tensor& h, const torch::Tensor& valid);

  int heads;
  torch::nn::LayerNorm norm{nullptr};
  torch::nn::Linear qkv{nullptr}, out{nullptr};
};
TORCH_MODULE(CandidateRelation);

}  // namespace lsms

#endif  // LSMS_MODEL_CANDIDATE_RELATION_H_
