// lsms-train: trains an LSMS preset from a manifest. See tools/train/trainer.h.
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "common/flags_usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tools/train/trainer.h"

ABSL_FLAG(std::string, manifest, "data/synth/manifest.jsonl",
          "JSONL manifest (lsms-synth or real data), or several comma-separated: the train split of each "
          "trains, the val split of each that has one validates.");
ABSL_FLAG(std::string, val_manifest, "",
          "Manifest(s) whose val split validates (e.g. a calibration benchmark); empty = --manifest.");
ABSL_FLAG(std::string, out, "runs/nano", "Output folder: best/last checkpoints, log.csv.");
ABSL_FLAG(std::string, preset, "nano", "nano, tiny or base.");
ABSL_FLAG(int, input_size, 0, "Training resolution (multiple of 32); 0 = the preset's.");
ABSL_FLAG(int, refine_channels, -1,
          "With --init from a checkpoint without a full-resolution refinement head: add one of "
          "this width (starts as a zero residual). -1 = keep the checkpoint's.");
ABSL_FLAG(double, roi_margin, -1,
          "Liver region of interest: > 0 trains on the liver's bounding box widened by this fraction "
          "(two-pass inference); 0 = whole slices; -1 = the checkpoint's or preset's.");
ABSL_FLAG(int, candidate_relation_heads, -1,
          "With --init from a checkpoint without self-attention among the selection head's candidates: add "
          "it with this many heads (starts as a zero residual). -1 = keep the checkpoint's.");
ABSL_FLAG(int, candidate_liver_frame, -1,
          "1: candidate geometry in the liver's frame (with --init from a checkpoint without it: added as a "
          "zero residual); 0: none (new models only); -1 = the checkpoint's or preset's.");
ABSL_FLAG(int, whole_every, 3, "With --roi_margin > 0: every n-th slice is also trained whole (0 = never).");
ABSL_FLAG(std::string, add_window, "",
          "HU windows to append to the checkpoint's or preset's, WIDTH:LEVEL[,WIDTH:LEVEL] (e.g. 160:120); "
          "with --init they start with zero weights, so training starts from the checkpoint's outputs.");
ABSL_FLAG(std::string, init, "", "Start from this checkpoint (e.g. fine-tune at another size).");
ABSL_FLAG(std::string, bert, "", "Hugging Face BERT model.safetensors for the text encoder.");
ABSL_FLAG(std::string, text_encoder, "",
          "Pretrained BERT-family folder (config.json, vocab.txt, model.safetensors; scripts/pretrained-text "
          "prints the installed MiniLM-L6's) used as a frozen text encoder with a trained projection; with "
          "--init it replaces the checkpoint's text encoder.");
ABSL_FLAG(double, liver_reference_hu, -1,
          "Liver-relative windows for liver regions: pass 2 moves every window by (liver median HU - this); "
          "0 = absolute windows; -1 = as in the checkpoint or preset.");
ABSL_FLAG(std::string, vocab, "", "vocab.txt (default: beside the manifest).");
ABSL_FLAG(bool, resume, false, "Continue from <out>/last.*.");
ABSL_FLAG(int, steps, 3000, "Total optimisation steps.");
ABSL_FLAG(int, images_per_batch, 4, "Distinct images per batch.");
ABSL_FLAG(int, expressions_per_image, 4, "Expressions of each image per batch (hard negatives).");
ABSL_FLAG(double, lr, 4e-4, "Peak learning rate.");
ABSL_FLAG(double, text_lr, 0, "Peak lr of the text encoder (0 = --lr; 3e-5 for pretrained BERT).");
ABSL_FLAG(double, weight_decay, 1e-2, "AdamW weight decay (not on norms/biases).");
ABSL_FLAG(int, warmup, 150, "Linear warm-up steps.");
ABSL_FLAG(std::string, schedule, "cosine", "cosine or poly decay after warm-up.");
ABSL_FLAG(double, clip, 1.0, "Gradient-norm clipping.");
ABSL_FLAG(double, predicted_selection, 1.0,
          "Weight of the selection loss on the candidates inference sees (components of the model's own "
          "all-lesions map); 0 = ground-truth instances only.");
ABSL_FLAG(double, aux_weight, 0.5,
          "Weight of the all-lesions and liver heads' loss; the all-lesions map delimits the selection "
          "head's candidates (runs before 2026-12-02 used 0.5).");
ABSL_FLAG(double, present_weight, 1.0,
          "Weight of the target-present head's loss (its gate empties answers to expressions that name "
          "no lesion; runs before 2026-12-03 used 1.0).");
ABSL_FLAG(int, val_every, 250, "Validate (and checkpoint) every N steps.");
ABSL_FLAG(int, val_images, 60, "Validation images used.");
ABSL_FLAG(uint64_t, seed, 1, "Seed of initialisation, sampling and augmentation.");
ABSL_FLAG(int, threads, 0, "Torch intra-op threads (0 = default).");
ABSL_FLAG(std::string, device, "cpu",
          "cpu, cuda, cuda:N or auto: where the network and each batch live (same outputs either way).");
ABSL_FLAG(bool, augment, true, "Augment (affine, HU noise, contrast, flip with left/right swap).");

namespace {

// Parses --add_window: "WIDTH:LEVEL" pairs, comma-separated.
bool ParseWindows(const std::string& text, std::vector<lsms::HuWindow>* out, std::string* error) {
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::vector<absl::string_view> parts = absl::StrSplit(item, ':');
    lsms::HuWindow w;
    if (parts.size() != 2 || !absl::SimpleAtof(parts[0], &w.width) || !absl::SimpleAtof(parts[1], &w.level)) {
      *error = absl::StrCat("--add_window: \"", item, "\" is not WIDTH:LEVEL");
      return false;
    }
    out->push_back(w);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  lsms::InitFlagsUsage("Trains LSMS on a referring-lesion manifest.");
  std::vector<std::string> args(argv, argv + argc);
  absl::ParseCommandLine(argc, argv);
  lsms::train::TrainOptions o;
  o.manifest = absl::GetFlag(FLAGS_manifest);
  o.val_manifest = absl::GetFlag(FLAGS_val_manifest);
  o.out_dir = absl::GetFlag(FLAGS_out);
  o.preset = absl::GetFlag(FLAGS_preset);
  o.input_size = absl::GetFlag(FLAGS_input_size);
  o.init_checkpoint = absl::GetFlag(FLAGS_init);
  o.refine_channels = absl::GetFlag(FLAGS_refine_channels);
  o.roi_margin = static_cast<float>(absl::GetFlag(FLAGS_roi_margin));
  o.whole_every = absl::GetFlag(FLAGS_whole_every);
  o.candidate_relation_heads = absl::GetFlag(FLAGS_candidate_relation_heads);
  o.candidate_liver_frame = absl::GetFlag(FLAGS_candidate_liver_frame);
  std::string error;
  if (!ParseWindows(absl::GetFlag(FLAGS_add_window), &o.add_windows, &error)) {
    std::cerr << "lsms-train: " << error << "\n";
    return 2;
  }
  o.bert_safetensors = absl::GetFlag(FLAGS_bert);
  o.text_encoder = absl::GetFlag(FLAGS_text_encoder);
  o.liver_reference_hu = static_cast<float>(absl::GetFlag(FLAGS_liver_reference_hu));
  o.vocab = absl::GetFlag(FLAGS_vocab);
  o.resume = absl::GetFlag(FLAGS_resume);
  o.steps = absl::GetFlag(FLAGS_steps);
  o.images_per_batch = absl::GetFlag(FLAGS_images_per_batch);
  o.expressions_per_image = absl::GetFlag(FLAGS_expressions_per_image);
  o.lr = absl::GetFlag(FLAGS_lr);
  o.text_lr = absl::GetFlag(FLAGS_text_lr);
  o.weight_decay = absl::GetFlag(FLAGS_weight_decay);
  o.warmup = absl::GetFlag(FLAGS_warmup);
  o.schedule = absl::GetFlag(FLAGS_schedule);
  o.clip = absl::GetFlag(FLAGS_clip);
  o.predicted_selection = absl::GetFlag(FLAGS_predicted_selection);
  o.aux_weight = absl::GetFlag(FLAGS_aux_weight);
  o.present_weight = absl::GetFlag(FLAGS_present_weight);
  o.val_every = absl::GetFlag(FLAGS_val_every);
  o.val_images = absl::GetFlag(FLAGS_val_images);
  o.seed = absl::GetFlag(FLAGS_seed);
  o.threads = absl::GetFlag(FLAGS_threads);
  o.device = absl::GetFlag(FLAGS_device);
  o.augment = absl::GetFlag(FLAGS_augment);
  o.command_line = absl::StrJoin(args, " ");
  auto st = lsms::train::Train(o);
  if (!st.ok()) {
    std::cerr << "lsms-train: " << st << "\n";
    return 1;
  }
  return 0;
}
