// Analytic FLOP count of one LSMS forward pass (batch 1), from the config:
// convolutions, linear layers and attention matmuls (a multiply-add = 2
// FLOPs); element-wise ops, norms and softmax are not counted. Mirrors the
// modules in vision_encoder.cc, text_encoder.cc and full_scale_decoder.cc.
#ifndef LSMS_MODEL_FLOP_COUNT_H_
#define LSMS_MODEL_FLOP_COUNT_H_

#include "model/model_config.h"

namespace lsms {

struct FlopCount {
  double text = 0;
  double vision = 0;
  double decoder = 0;
  double total() const { return text + vision + decoder; }
};

FlopCount CountFlops(const ModelConfig& config);

}  // namespace lsms

#endif  // LSMS_MODEL_FLOP_COUNT_H_
