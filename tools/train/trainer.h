// lsms-train's training loop: AdamW with parameter groups, warm-up then cosine
// or poly decay over a fixed number of steps, gradient clipping, augmentation
// (scale/rotation/translation, HU noise, contrast jitter, horizontal flip
// together with swapping left/right words), several expressions of the same
// image per batch, periodic validation, best/last checkpoints, resume, CSV log,
// progress line with ETA.
#ifndef LSMS_TOOLS_TRAIN_TRAINER_H_
#define LSMS_TOOLS_TRAIN_TRAINER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "model/model_config.h"

namespace lsms::train {

struct TrainOptions {
  // One manifest or several, comma-separated: training uses the train split
  // of each, validation the val split of those that have one.
  std::string manifest;
  // Validation manifest(s) (their val split); empty = `manifest`.
  std::string val_manifest;
  std::string out_dir = "runs/nano";
  std::string preset = "nano";
  int input_size = 0;             // 0 = preset's
  std::string init_checkpoint;    // start from these weights (config taken from it)
  // Width of the full-resolution refinement head when starting from a
  // checkpoint that has none (the head starts as a zero residual); -1 = as in
  // the checkpoint or preset.
  int refine_channels = -1;
  // Liver region of interest (ModelConfig::roi_margin): > 0 trains on liver
  // regions (plus every whole_every-th slice whole) and saves the margin in
  // the checkpoint, making its inference two-pass; 0 = whole slices; -1 = as
  // in the checkpoint or preset.
  float roi_margin = -1.0f;
  // Heads of the self-attention among the selection head's candidates when
  // starting from a checkpoint without it (it starts as a zero residual);
  // -1 = as in the checkpoint or preset.
  int candidate_relation_heads = -1;
  // 1/0: candidate liver-frame features on/off (with --init: 1 adds them to a
  // checkpoint without them); -1 keeps the checkpoint's or the preset's.
  int candidate_liver_frame = -1;
  // HU windows appended to the checkpoint's or preset's (ModelConfig::windows).
  // With --init the convolutions that read the image get zero weights for them
  // (LoadWeightsAddingWindows): training starts from the checkpoint's outputs.
  // A window the checkpoint already ends with is not added again (--resume).
  std::vector<HuWindow> add_windows;
  int whole_every = 3;
  std::string bert_safetensors;   // initialise the text encoder from real BERT
  // A pretrained BERT-family folder (model/pretrained_text.h) used as the text
  // encoder, kept frozen; a trained projection maps its width to text_dim.
  // With --init it replaces the checkpoint's text encoder (vision, decoder and
  // heads keep their weights); a checkpoint that already has it (a resumed
  // run) keeps its own projection. Its vocabulary becomes the model's.
  std::string text_encoder;
  // ModelConfig::liver_reference_hu: > 0 windows liver regions relative to the
  // liver's median HU; 0 = absolute; -1 = as in the checkpoint or preset.
  float liver_reference_hu = -1.0f;
  std::string vocab;              // default: vocab.txt beside the manifest
  bool resume = false;            // continue from out_dir/last.*
  int steps = 3000;
  int images_per_batch = 4;
  int expressions_per_image = 4;
  double lr = 4e-4;
  double text_lr = 0;             // 0 = lr (3e-5 suits a pretrained BERT)
  double weight_decay = 1e-2;
  int warmup = 150;
  std::string schedule = "cosine";  // or "poly"
  double clip = 1.0;
  // Weight of the selection loss on predicted candidates (model/losses.h,
  // PredictedCandidateLoss), beside the one on ground-truth instances;
  // 0 = ground-truth instances only (runs before the option).
  double predicted_selection = 1.0;
  // Weight of the text-free all-lesions and liver heads' loss (LossWeights::
  // aux): the all-lesions map delimits the selection head's candidates, so a
  // higher weight trades referred-map fit for candidate recall.
  double aux_weight = 0.5;
  // Weight of the target-present head's BCE (LossWeights::present): its
  // gate empties the answer to an expression that names no lesion, so a
  // higher weight trades referred-map fit for no-target separation.
  double present_weight = 1.0;
  int val_every = 250;
  int val_images = 60;
  uint64_t seed = 1;
  int threads = 0;
  // Where the network, its optimizer state and each batch live: "cpu",
  // "cuda", "cuda:N" or "auto" (model/torch_device.h). Batches are assembled
  // and augmented on the CPU and copied over; checkpoints, the resumable state
  // and log.csv are the same files whichever device wrote them, so a run can
  // move between a GPU and the CPU from one leg to the next.
  std::string device = "cpu";
  bool augment = true;
  double flip_probability = 0.5;
  std::string command_line;       // recorded in provenance
};

absl::Status Train(const TrainOptions& options);

}  // namespace lsms::train

#endif  // LSMS_TOOLS_TRAIN_TRAINER_H_
