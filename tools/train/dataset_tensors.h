// Tensors of the in-memory dataset (tools/train/dataset.h) as LsmsNet takes
// them, shared by lsms-train (batches, validation) and lsms-eval's selection
// probe. Copies: the tensors do not alias the dataset. CPU, float32.
#ifndef LSMS_TOOLS_TRAIN_DATASET_TENSORS_H_
#define LSMS_TOOLS_TRAIN_DATASET_TENSORS_H_

#include <utility>
#include <vector>

#include <torch/types.h>

#include "model/lsms_net.h"
#include "model/tokenizer.h"
#include "tools/train/dataset.h"

namespace lsms::train {

// A size×size {0,1} mask as a size×size float tensor.
torch::Tensor MaskTensor(const std::vector<uint8_t>& mask, int64_t size);

// Image, tokens and mm per pixel of the samples `indices` of `ds`, in order
// (no candidates, no liver).
NetInputs SampleInputs(const Dataset& ds, const std::vector<size_t>& indices, const Tokenizer& tokenizer,
                       const ModelConfig& config);

// The view's lesion instances as selection-head candidates: {K×S×S masks,
// K valid} with K = config.max_candidates (extra instances dropped).
std::pair<torch::Tensor, torch::Tensor> InstanceTensors(const ImageEntry& image, const ModelConfig& config);

}  // namespace lsms::train

#endif  // LSMS_TOOLS_TRAIN_DATASET_TENSORS_H_
