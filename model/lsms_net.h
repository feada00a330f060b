// LsmsNet: the whole LSMS model — BERT text encoder, language-guided vision
// encoder (SVLA blocks), Full-Scale Decoder, target-present head, contrastive
// projections, and the referring selection head (an extension beyond the
// paper, see docs/model.md: it scores candidate lesions from pooled features
// plus explicit geometry against the words).
//
// Not thread-safe: one LsmsNet per worker thread (or external locking).
#ifndef LSMS_MODEL_LSMS_NET_H_
#define LSMS_MODEL_LSMS_NET_H_

#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>

#include "model/candidate_relation.h"
#include "model/full_scale_decoder.h"
#include "model/model_config.h"
#include "model/refine_head.h"
#include "model/text_encoder.h"
#include "model/vision_encoder.h"

namespace lsms {

// Number of explicit geometry features per candidate (see CandidateGeometry).
inline constexpr int kGeometryFeatures = 24;

struct NetInputs {
  torch::Tensor image;          // B×windows×S×S, preprocessed (no coord channels)
  torch::Tensor ids;            // B×T int64
  torch::Tensor mask;           // B×T {0,1}
  torch::Tensor mm_per_pixel;   // B float: physical size of one model pixel
  // Candidate lesions for the selection head: B×K×S×S {0,1} and B×K valid.
  // Training passes ground-truth instances; inference derives them from the
  // all-lesions map (see ExtractCandidates). Undefined → head skipped.
  torch::Tensor candidates;
  torch::Tensor candidate_valid;
  // Liver mask B×S×S used for the candidates' organ-relative geometry;
  // undefined → the predicted liver map.
  torch::Tensor liver;
  // B×T×text_dim word features already computed by `text` for these ids and
  // mask (the expression cache); undefined → forward() runs the text encoder.
  torch::Tensor words;
};

struct NetOutputs {
  torch::Tensor ref_logits;     // B×S×S referred lesion(s), direct LSMS path
  torch::Tensor all_logits;     // B×S×S every lesion (text-free)
  torch::Tensor liver_logits;   // B×S×S liver (text-free)
  torch::Tensor present_logit;  // B target-present
  torch::Tensor candidate_logits;  // B×K selection scores (when candidates given)
  torch::Tensor sentence;       // B×text_dim masked-mean word features
  torch::Tensor visual;         // B×D×S/8×S/8 features before the words enter the decoder
  torch::Tensor fine;           // B×D/2×S/4×S/4 boundary-path features
  torch::Tensor words;          // B×T×text_dim
};

// Geometry of each candidate: size (equivalent diameter, area share, size
// ranks among the candidates, distance to 1..6 cm), count, position in the
// image and relative to the liver's bounding box, and intensity relative to
// the liver in each window. B×K×kGeometryFeatures.
torch::Tensor CandidateGeometry(const torch::Tensor& candidates, const torch::Tensor& valid,
                                const torch::Tensor& liver, const torch::Tensor& image,
                                const torch::Tensor& mm_per_pixel);

// Number of liver-frame features per candidate (see CandidateLiverFrame).
inline constexpr int kLiverFrameFeatures = 5;

// Each candidate's centroid in the liver's own frame: (dx, dy) from the liver
// mask's centroid in units of the liver's equivalent radius (clamped to ±3;
// dy < 0 is anterior), their norm, and whether it is the valid candidate
// nearest to / farthest from the centroid. The image centre and radius 1/2
// stand in when no liver is found. B×K×kLiverFrameFeatures, zero for invalid
// candidates.
torch::Tensor CandidateLiverFrame(const torch::Tensor& candidates, const torch::Tensor& valid,
                                  const torch::Tensor& liver);

// Connected components (4-connectivity) of `prob > threshold` for each sample,
// largest first, at most `max_candidates`, components under `min_pixels`
// dropped. Returns {B×K×S×S float masks, B×K valid}. CPU loop; cheap at 256².
std::pair<torch::Tensor, torch::Tensor> ExtractCandidates(const torch::Tensor& prob,
                                                          float threshold, int max_candidates,
                                                          int min_pixels);

struct LsmsNetImpl : torch::nn::Module {
  explicit LsmsNetImpl(const ModelConfig& c);
  // Runs everything; the selection head only when in.candidates is defined.
  NetOutputs forward(const NetInputs& in);

  // The selection head alone over outputs of forward(): B×K logits (invalid
  // candidates get -1e4). Lets inference derive candidates from the
  // all-lesions map of the same forward pass.
  torch::Tensor ScoreCandidates(const NetOutputs& out, const NetInputs& in);

  // Inference composition: candidates from the all-lesions map, selection,
  // target-present and peak gating (config.present_threshold, peak_threshold;
  // `gate` false: none, for a caller that gates on scores of its own).
  // Returns B×S×S probabilities of the referred lesion(s) (the direct LSMS
  // map when the selection head is off).
  torch::Tensor ReferredProbability(const NetOutputs& out, const NetInputs& in, bool gate = true);

  // Contrastive embeddings (L2-normalised): visual pooled in `target` (B×S×S)
  // and sentence. Returns {v, t}.
  std::pair<torch::Tensor, torch::Tensor> ContrastiveEmbeddings(const NetOutputs& out,
                                                                const torch::Tensor& target);

  // Per-token relevance B×T from the SVLA cross-attention of the last two
  // stages, averaged over the pixels of `mask_prob` (B×S×S; the whole image
  // where the mask is empty). Padding tokens get 0; rows sum to 1.
  torch::Tensor TokenRelevance(const torch::Tensor& mask_prob, const torch::Tensor& word_mask);

  ModelConfig config;
  TextEncoder text{nullptr};
  VisionEncoder vision{nullptr};
  FullScaleDecoder decoder{nullptr};
  RefineHead refine{nullptr};  // null when config.refine_channels == 0
  torch::nn::Sequential present_head{nullptr};
  torch::nn::Sequential visual_embed{nullptr}, text_embed{nullptr};
  torch::Tensor logit_scale;  // log(1/temperature), learnable
  torch::nn::Sequential cand_encoder{nullptr};
  torch::nn::Linear cand_q{nullptr}, cand_k{nullptr}, cand_v{nullptr}, cand_sent{nullptr};
  torch::nn::Sequential cand_score{nullptr};
  CandidateRelation cand_relation{nullptr};  // null when config.candidate_relation_heads == 0
  // Liver-frame features → embedding; last layer zero-initialised. Null when
  // !config.candidate_liver_frame.
  torch::nn::Sequential cand_frame{nullptr};
};
TORCH_MODULE(LsmsNet);

}  // namespace lsms

#endif  // LSMS_MODEL_LSMS_NET_H_
