// The referring-lesion dataset in memory, shared by lsms-train and lsms-eval.
// Reads a JSONL manifest (one expression per line):
//   {"image": "images/x.dcm", "mask": "masks/x_e0.png", "expression": "...",
//    "kind": "size_rank", "split": "train", "image_id": "x",
//    "instances": "masks/x_lesions.png", "liver": "masks/x_liver.png"}
// Only image, mask and expression are required (real data: DICOM slices and
// 8-bit PNG masks, non-zero = lesion); instances/liver enable the auxiliary
// and selection-head targets. Images are decoded once and kept preprocessed
// at the model's input size, as one or two views (ImageEntry) per slice; every
// expression becomes one Sample per view. Torch-free.
#ifndef LSMS_TOOLS_TRAIN_DATASET_H_
#define LSMS_TOOLS_TRAIN_DATASET_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/model_config.h"
#include "model/preprocess.h"
#include "tools/eval/lesion_recall.h"

namespace lsms::train {

struct Sample {
  std::string expression;
  std::string kind;        // "" when the manifest has none
  std::vector<uint8_t> mask;  // size×size {0,1} on the model grid
  std::vector<uint8_t> mask_original;  // original resolution, for evaluation
  int image = 0;           // index into Dataset::images
  int group = 0;           // same target set within an image → same group
  std::vector<int> targets;  // lesion ids (when known)
  std::string phrasing;    // manifest's "phrasing" ("seen", "held_out"; "" legacy)
  std::string phase;       // manifest's contrast "phase" ("" legacy)
};

struct ImageEntry {
  std::string id;
  std::string path;
  std::vector<float> input;     // windows×size×size preprocessed
  Letterbox box;
  float mm_per_pixel = 0;       // per model pixel; 0 unknown
  // Original HU, shared by the views of one slice (only with keep_hu: for
  // overlays and the second pass of two-pass inference).
  std::shared_ptr<const Image> hu;
  std::vector<std::vector<uint8_t>> instances;  // per lesion: size×size {0,1}
  std::vector<int> instance_ids;
  std::vector<uint8_t> liver;   // size×size, empty when unknown
  std::vector<uint8_t> all_lesions_original;  // union of instances, original grid
  std::vector<uint8_t> labels_original;  // lesion id per pixel, original grid (with keep_hu)
  // The manifest's "lesions" facts (id, in-slice diameter, attenuation); empty when absent.
  std::vector<eval::LesionFacts> lesions;
};

struct Dataset {
  std::vector<ImageEntry> images;
  std::vector<Sample> samples;
  std::map<std::string, std::vector<int>> by_kind;  // sample indices
};

struct LoadOptions {
  std::string manifest;
  std::string split;           // "train", "val", "test" or "" for all
  size_t max_images = 0;       // 0 = all distinct slices
  bool keep_hu = false;
  // > 0: slices with a liver mask are seen in their liver region of interest
  // (model/liver_roi.h) with this margin, as the second pass of two-pass
  // inference sees them; 0 = whole slices only.
  float roi_margin = 0.0f;
  // With roi_margin > 0: every n-th slice is also kept whole (the first pass
  // must still find the liver on whole slices); 0 = never.
  int whole_every = 0;
  // Keep each sample's mask and each view's lesion union at the original
  // resolution (what evaluation scores against). Training needs only the
  // model grid: false saves ~0.5 MB per sample of a 512² benchmark.
  bool keep_original_masks = true;
  // Training and checkpoint selection never read held-out phrasing nor the
  // out-of-distribution set: a row with "phrasing": "held_out" (lsms-synth
  // --phrasing) or "generator": "lsms-ood" is then an error.
  bool refuse_held_out = false;
};

absl::StatusOr<Dataset> LoadDataset(const LoadOptions& options, const ModelConfig& config);

// Loads `options.split` of each manifest (comma-separated in
// `options.manifest`, e.g. a benchmark plus extra training slices) into one
// Dataset; `max_images` applies per manifest. A manifest without samples in
// the split is skipped; none at all is an error.
absl::StatusOr<Dataset> LoadDatasets(const LoadOptions& options, const ModelConfig& config);

// Moves `from` to the end of `into`: image, sample and group indices shift.
void AppendDataset(Dataset from, Dataset* into);

}  // namespace lsms::train

#endif  // LSMS_TOOLS_TRAIN_DATASET_H_
