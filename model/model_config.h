// ModelConfig: every size and preprocessing constant of an LSMS model. It is
// saved inside each checkpoint, so training and serving always agree.
// Plain C++ (no torch): the server reads it without pulling in libtorch.
#ifndef LSMS_MODEL_MODEL_CONFIG_H_
#define LSMS_MODEL_MODEL_CONFIG_H_

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace lsms {

// A CT display window in Hounsfield units: values in [level - width/2,
// level + width/2] map linearly to [0, 1], values outside are clipped.
struct HuWindow {
  float width = 400.0f;
  float level = 40.0f;
};

struct ModelConfig {
  std::string preset = "nano";

  // --- Vision -----------------------------------------------------------
  // Side of the square model input, pixels. Images are letterboxed to it.
  int input_size = 256;
  // Channels and block counts of the four encoder stages (strides 4..32).
  std::array<int, 4> channels = {32, 64, 128, 256};
  std::array<int, 4> depths = {1, 1, 2, 1};
  std::array<int, 4> mlp_ratios = {8, 8, 4, 4};
  // Strip-convolution kernel sizes inside SVLA.
  std::vector<int> strip_kernels = {7, 11, 21};
  float layer_scale_init = 1e-2f;
  // Stochastic depth rate of the last block (linearly increasing per block).
  float drop_path = 0.1f;
  // Append normalised x/y coordinate channels to the input (explicit position).
  bool coord_channels = true;

  // --- Text (BERT) ------------------------------------------------------
  int vocab_size = 0;       // set from the vocabulary
  int text_dim = 128;       // width of the word features the rest of the net reads
  // Hidden width of the BERT encoder when it differs from text_dim (a
  // pretrained encoder such as MiniLM-L6, 384): a linear projection
  // (text.proj) maps its output to text_dim. 0 = text_dim, no projection.
  int text_width = 0;
  int text_layers = 2;
  int text_heads = 2;
  int text_ffn = 512;
  int max_position = 512;   // BERT position embedding table size
  int type_vocab_size = 2;
  int max_tokens = 32;      // tokens per expression incl. [CLS]/[SEP]
  float text_dropout = 0.1f;

  // --- Full-Scale Decoder ----------------------------------------------
  int decoder_dim = 128;
  int decoder_heads = 4;
  // Spatial reduction of keys/values in the global self-attention.
  int decoder_sr_ratio = 2;
  // Width of the full-resolution refinement head (model/refine_head.h);
  // 0 = logits bilinearly upsampled from stride 4 (checkpoints made before
  // the head existed load with 0).
  int refine_channels = 12;

  // --- Liver region of interest (extension beyond the paper) ----------
  // > 0: two-pass inference. Pass 1 sees the whole slice and predicts the
  // liver; pass 2 sees the liver's bounding box, widened by this fraction of
  // its longer side on every side, letterboxed to input_size (about twice the
  // resolution of the whole slice). 0 = one pass over the whole slice
  // (checkpoints made before the option load with 0). See model/liver_roi.h.
  float roi_margin = 0.0f;
  // > 0 (with roi_margin > 0): pass 2 sees windows relative to the liver —
  // every window's level moves by (median HU inside pass 1's liver − this
  // value), so a portal-venous liver at 110 HU or a fatty one at 20 HU is
  // windowed as a liver at this reference, and lesions keep their contrast
  // with it. Training does the same with the ground-truth liver. 0 = absolute
  // HU windows (checkpoints made before the option). See model/liver_roi.h.
  float liver_reference_hu = 0.0f;

  // --- Referring selection head (extension beyond the paper) ----------
  // Scores candidate lesions (connected components of a text-free
  // "all lesions" map) from pooled features plus explicit geometry against
  // the words. See docs/model.md.
  bool selection_head = true;
  int max_candidates = 8;
  // Heads of the self-attention among candidates (model/candidate_relation.h);
  // 0 = none (checkpoints made before the option).
  int candidate_relation_heads = 4;
  // Candidate geometry in the liver's own frame (CandidateLiverFrame in
  // model/lsms_net.h): position relative to the liver's centroid — the
  // reference of "anterior"/"posterior" — and which candidate is nearest to or
  // farthest from it (proxies: hilum toward the centre, dome toward the rim).
  // Added to the candidate embedding through a zero-initialised branch, so a checkpoint
  // without it keeps its scores when it is added. false = none (checkpoints
  // made before the option).
  bool candidate_liver_frame = true;
  // Candidates are the connected components of all-lesions probability
  // above this threshold (slightly below 0.5 so that soft edges stay in).
  float candidate_threshold = 0.4f;
  // How the referred map is made from the selected candidates:
  //   "product"  — all-lesions probability × the candidate's selection
  //                probability (checkpoints made before the option);
  //   "instance" — every pixel of a candidate takes the candidate's selection
  //                probability: a selected lesion is returned whole, its
  //                confidence is the selection's. A small lesion whose
  //                all-lesions peak is 0.6 is then not lost to 0.6 × 0.8 < 0.5.
  std::string selection_mask = "product";

  // --- Contrastive loss ------------------------------------------------
  int embed_dim = 128;

  // --- Preprocessing ---------------------------------------------------
  std::vector<HuWindow> windows = {{150.0f, 60.0f}, {400.0f, 40.0f}, {1500.0f, -300.0f}};
  // Per-channel normalisation applied after windowing: (x - mean) / std.
  float norm_mean = 0.5f;
  float norm_std = 0.25f;

  float default_threshold = 0.5f;
  // The target-present head's decision threshold: below it the referred mask
  // is empty ("no such lesion"). A calibration of sensitivity against
  // no-target specificity, chosen on the validation split (lsms-eval
  // --present_threshold; lsms-checkpoint --present_threshold stores it).
  float present_threshold = 0.5f;
  // The referred map's peak: an answer whose highest probability is below it
  // is empty too ("no such lesion"). A second no-target gate on the selection
  // head's own confidence, calibrated with present_threshold (lsms-eval
  // --peak_sweep; lsms-checkpoint --peak_threshold). In [0, 1); a value up to
  // default_threshold gates nothing (such a map is empty anyway). 0 = off
  // (checkpoints made before the option).
  float peak_threshold = 0.0f;

  int text_hidden() const { return text_width > 0 ? text_width : text_dim; }

  // Input channels seen by the first convolution.
  int in_channels() const { return static_cast<int>(windows.size()) + (coord_channels ? 2 : 0); }

  // Presets: "nano", "tiny", "base" (see docs/model.md). vocab_size stays 0
  // until a vocabulary is attached.
  static absl::StatusOr<ModelConfig> FromPreset(const std::string& name);
  static std::vector<std::string> PresetNames();

  std::string ToJson() const;
  static absl::StatusOr<ModelConfig> FromJson(const std::string& json);
};

// Decision settings of a trained model that a validation split calibrates
// (lsms-eval sweeps them, lsms-checkpoint stores them); unset fields keep the
// config's values.
struct Calibration {
  std::optional<float> present_threshold;    // in (0, 1)
  std::optional<float> candidate_threshold;  // in (0, 1)
  std::optional<std::string> selection_mask;  // "product" or "instance"
  std::optional<float> peak_threshold;       // in [0, 1)
  bool empty() const {
    return !present_threshold && !candidate_threshold && !selection_mask && !peak_threshold;
  }
};

// Validates every set field of `c` and applies them to `config`; on error
// `config` is unchanged and the message names the field.
absl::Status ApplyCalibration(const Calibration& c, ModelConfig* config);

}  // namespace lsms

#endif  // LSMS_MODEL_MODEL_CONFIG_H_
