// RefineHead: full-resolution boundary refinement (an extension beyond the
// paper, see docs/model.md "Full-resolution refinement").
//
// The Full-Scale Decoder predicts at stride 4: at a 192 px input one logit
// covers ~8 mm of a 512² CT slice, wider than the smallest lesions. This head
// sees the windowed image itself at full input resolution (two 3×3 convs),
// a 1×1 squeeze of the decoder's stride-4 features and the upsampled coarse
// logits, and predicts a residual on top of those logits:
//   logits = upsample(coarse) + residual(image, fine, upsample(coarse)).
// The residual's last layer starts at zero, so a checkpoint trained without
// the head keeps its outputs exactly when the head is added for fine-tuning.
//
// Not thread-safe (a torch module); shapes in the comments of forward().
#ifndef LSMS_MODEL_REFINE_HEAD_H_
#define LSMS_MODEL_REFINE_HEAD_H_

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>

namespace lsms {

struct RefineHeadImpl : torch::nn::Module {
  // image_channels: HU windows; fine_channels: decoder boundary-path width;
  // logit_channels: outputs; width: channels of the full-resolution convs.
  RefineHeadImpl(int image_channels, int fine_channels, int logit_channels, int width);

  // image B×Ci×S×S, fine B×Cf×S/4×S/4, coarse B×Cl×S/4×S/4 → B×Cl×S×S.
  torch::Tensor forward(const torch::Tensor& image, const torch::Tensor& fine,
                        const torch::Tensor& coarse);

  torch::nn::Sequential stem{nullptr};
  torch::nn::Conv2d squeeze{nullptr};
  torch::nn::Sequential mix{nullptr};
  torch::nn::Conv2d out{nullptr};
};
TORCH_MODULE(RefineHead);

}  // namespace lsms

#endif  // LSMS_MODEL_REFINE_HEAD_H_
