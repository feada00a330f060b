// LSMS checkpoint: ONE safetensors file holding everything needed to serve —
// weights (parameters and BatchNorm buffers, by module path), and in the
// metadata the model config (JSON), the WordPiece vocabulary and provenance.
// Loading is strict: a missing, unexpected or mis-shaped tensor fails with a
// message naming it.
#ifndef LSMS_MODEL_CHECKPOINT_H_
#define LSMS_MODEL_CHECKPOINT_H_

#include <string>

#include <torch/nn/module.h>

#include "absl/status/statusor.h"
#include "model/lsms_net.h"
#include "model/model_config.h"
#include "model/provenance.h"
#include "model/safetensors.h"

namespace lsms {

enum class WeightPrecision { kF32, kF16 };

struct CheckpointInfo {
  ModelConfig config;
  std::string vocab;
  Provenance provenance;
};

// Reads config, vocabulary and provenance from a parsed checkpoint.
absl::StatusOr<CheckpointInfo> ReadCheckpointInfo(const SafetensorsFile& file);

// `omit_prefixes`: tensors under these names are left out (a training state
// whose frozen pretrained text encoder is restored from its package on
// resume); such a file does not load as a checkpoint on its own.
absl::Status SaveCheckpoint(const std::string& path, torch::nn::Module& net,
                            const CheckpointInfo& info,
                            WeightPrecision precision = WeightPrecision::kF32,
                            const std::vector<std::string>& omit_prefixes = {});

// Copies every parameter and buffer of `net` from `file` (strict by name and
// shape). Tensors of `net` whose name starts with an entry of
// `new_module_prefixes` may be absent from the file (they keep their
// initialisation): fine-tuning with a module the checkpoint predates.
absl::Status LoadWeights(const SafetensorsFile& file, torch::nn::Module& net,
                         const std::vector<std::string>& new_module_prefixes = {});

// Like LoadWeights, into a net whose config has `added_windows` HU windows
// appended after the file's `file_windows` (ModelConfig::windows): each
// convolution that reads the windows (the vision stem, whose input also
// carries the coordinate channels after them, and the refinement head) gets
// the file's weights for its old input channels and zeros for the new ones,
// so the net computes what the file's net did until training moves them.
// Every other tensor is loaded strictly, as by LoadWeights.
absl::Status LoadWeightsAddingWindows(const SafetensorsFile& file, torch::nn::Module& net,
                                      int file_windows, int added_windows,
                                      const std::vector<std::string>& new_module_prefixes = {});

struct LoadedCheckpoint {
  CheckpointInfo info;
  LsmsNet net{nullptr};
};

// Parses the file, builds the net from its config and loads the weights.
absl::StatusOr<LoadedCheckpoint> LoadCheckpoint(const std::string& path);

// Loads Hugging Face BERT weights (bert-base-uncased's model.safetensors or a
// BertForXxx file with the "bert." prefix) into the text encoder. pooler.* and
// cls.* heads are ignored; anything the encoder needs must be present with
// the right shape.
absl::Status LoadBertWeights(const SafetensorsFile& file, TextEncoderImpl& text);

}  // namespace lsms

#endif  // LSMS_MODEL_CHECKPOINT_H_
