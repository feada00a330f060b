#include "tools/train/dataset_tensors.h"

#include <torch/torch.h>

namespace lsms::train {

torch::Tensor MaskTensor(const std::vector<uint8_t>& mask, int64_t size) {
  return torch::from_blob(const_cast<uint8_t*>(mask.data()), {size, size}, torch::kUInt8).to(torch::kFloat32);
}

NetInputs SampleInputs(const Dataset& ds, const std::vector<size_t>& indices, const Tokenizer& tokenizer,
                       const ModelConfig& c) {
  const int64_t s = c.input_size, w = static_cast<int64_t>(c.windows.size());
  std::vector<torch::Tensor> images, ids, masks, mms;
  for (size_t i : indices) {
    const Sample& smp = ds.samples[i];
    const ImageEntry& img = ds.images[smp.image];
    images.push_back(torch::from_blob(const_cast<float*>(img.input.data()), {w, s, s}));
    Encoding enc = tokenizer.Encode(smp.expression, c.max_tokens);
    ids.push_back(torch::tensor(std::vector<int64_t>(enc.ids.begin(), enc.ids.end())));
    masks.push_back(torch::tensor(std::vector<float>(enc.attention_mask.begin(), enc.attention_mask.end())));
    // Unknown spacing: a typical abdominal CT (0.75 mm over a 512 px slice).
    mms.push_back(torch::tensor({img.mm_per_pixel > 0 ? img.mm_per_pixel : 0.75f * 512 / s}));
  }
  NetInputs in;
  in.image = torch::stack(images);  // stack copies
  in.ids = torch::stack(ids);
  in.mask = torch::stack(masks);
  in.mm_per_pixel = torch::cat(mms);
  return in;
}

std::pair<torch::Tensor, torch::Tensor> InstanceTensors(const ImageEntry& img, const ModelConfig& c) {
  const int64_t s = c.input_size, k = c.max_candidates;
  auto inst = torch::zeros({k, s, s});
  auto valid = torch::zeros({k});
  for (int64_t i = 0; i < std::min<int64_t>(k, static_cast<int64_t>(img.instances.size())); ++i) {
    inst[i] = MaskTensor(img.instances[static_cast<size_t>(i)], s);
    valid[i] = 1;
  }
  return {inst, valid};
}

}  // namespace lsms::train
