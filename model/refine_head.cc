#include "model/refine_head.h"

#include <vector>

#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>

#include "model/vision_encoder.h"

namespace lsms {

namespace nn = torch::nn;

namespace {

// Appends 3×3 conv (no bias) + BatchNorm + ReLU.
void AddConvBnRelu(nn::Sequential& seq, int in, int out) {
  seq->push_back(nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1).bias(false)));
  seq->push_back(nn::BatchNorm2d(out));
  seq->push_back(nn::ReLU());
}

}  // namespace

RefineHeadImpl::RefineHeadImpl(int image_channels, int fine_channels, int logit_channels,
                               int width) {
  nn::Sequential s, m;
  AddConvBnRelu(s, image_channels, width);
  AddConvBnRelu(s, width, width);
  AddConvBnRelu(m, 2 * width + logit_channels, width);
  stem = register_module("stem", s);
  squeeze = register_module("squeeze", nn::Conv2d(nn::Conv2dOptions(fine_channels, width, 1)));
  mix = register_module("mix", m);
  out = register_module("out", nn::Conv2d(nn::Conv2dOptions(width, logit_channels, 1)));
  // Zero residual at the start: adding the head to a trained model keeps its output.
  torch::NoGradGuard no_grad;
  out->weight.zero_();
  out->bias.zero_();
}

torch::Tensor RefineHeadImpl::forward(const torch::Tensor& image, const torch::Tensor& fine,
                                      const torch::Tensor& coarse) {
  const int64_t h = image.size(2), w = image.size(3);
  auto up = ResizeBilinear(coarse, h, w);
  auto x = torch::cat({stem->forward(image), ResizeBilinear(squeeze(fine), h, w), up}, 1);
  return up + out(mix->forward(x));
}

}  // namespace lsms
