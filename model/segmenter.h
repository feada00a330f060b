// The model as the server sees it: a small, torch-free interface. The server
// links lsms_model but never includes a torch header.
//
// Threading: a Segmenter instance is used by one worker thread at a time;
// create one per model instance (Load() is cheap after the first, weights are
// read again). Predict() never throws.
#ifndef LSMS_MODEL_SEGMENTER_H_
#define LSMS_MODEL_SEGMENTER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/expression_cache.h"
#include "model/model_config.h"
#include "model/preprocess.h"
#include "model/provenance.h"
#include "model/tokenizer.h"

namespace lsms {

// One preprocessed sample.
struct ModelInput {
  // windows × size × size floats from PreprocessHu().
  std::vector<float> image;
  Encoding tokens;
  // Physical size of one model pixel in mm (original spacing / letterbox
  // scale); 0 when unknown (the model then assumes a typical abdominal CT).
  float mm_per_pixel = 0.0f;
  // Where the original slice sits in `image` (from PreprocessHu()).
  Letterbox box;
  // The slice in HU at its original resolution, shared, read-only. Used only
  // by a model with a liver region of interest (config().roi_margin > 0),
  // which preprocesses the region again; null → one pass over `image`.
  std::shared_ptr<const Image> hu;
};

struct Prediction {
  Image probability;       // size × size, lesion probability on `box`
  // The grid of `probability`: the input's box, or the liver region's when
  // the second pass ran (ToOriginal(probability, box) maps it back).
  Letterbox box;
  bool liver_region = false;  // whether the second pass ran
  float target_present = 0.0f;
  // One value per position of tokens.ids (0 for [CLS]/[SEP]/[PAD]); sums to 1
  // over the expression's own tokens.
  std::vector<float> token_relevance;
};

// The confidence reported with an answer: how likely it is right. A mask's
// is its mean lesion probability (`probability_sum` over `mask_pixels`
// pixels at or above the threshold); an empty answer ("no such lesion") is as
// sure as the target-present head is of absence, 1 − target_present.
// lsms-eval measures its calibration against IoU ≥ 0.5 (expected calibration
// error).
inline float AnswerConfidence(double probability_sum, uint64_t mask_pixels, float target_present) {
  return mask_pixels ? static_cast<float>(probability_sum / static_cast<double>(mask_pixels))
                     : 1.0f - target_present;
}

// CUDA devices this process can use: 0 without a GPU, driver or CUDA-enabled
// libtorch. For callers that must not include torch (tests outside model/).
int CudaDeviceCount();

class Segmenter {
 public:
  struct Options {
    std::string checkpoint_path;
    // "auto" (CUDA when available, else CPU), "cpu", "cuda" or "cuda:N".
    std::string device = "auto";
    // Mixed precision on CUDA: "none", "fp16" or "bf16". Ignored on CPU.
    std::string autocast = "none";
    // Intra-op threads for CPU inference; 0 leaves libtorch's default.
    int num_threads = 0;
    // Test-time flip averaging: the answer pass (pass 2 with a liver region,
    // else the only pass) also runs on the horizontally mirrored input with
    // "left" and "right" swapped in the expression (the training flip); the
    // mirrored-back probability maps and the target-present probabilities are
    // averaged. About twice the answer pass's cost. Needs both words in the
    // vocabulary.
    bool flip_averaging = false;
    // Ablation: pass 2 windows absolute HU even when the checkpoint's are
    // relative to the liver (ModelConfig::liver_reference_hu set to 0).
    bool absolute_windows = false;
    // Text-encoder outputs shared by the instances of a server, keyed by
    // (expression_cache_scope, token ids); null = the encoder runs for every
    // sample. Give instances of one checkpoint/device/precision one scope and
    // anything else another.
    std::shared_ptr<ExpressionCache> expression_cache = nullptr;
    uint64_t expression_cache_scope = 0;
    // Overrides the checkpoint's decision settings (present and candidate
    // thresholds, selection mask) — for calibration on a validation split;
    // unset fields keep the checkpoint's.
    Calibration calibration{};
  };

  virtual ~Segmenter() = default;

  static absl::StatusOr<std::unique_ptr<Segmenter>> Load(const Options& options);

  // Runs one batch. All inputs must come from this model's config and
  // tokenizer. With a liver region of interest (config().roi_margin > 0) and
  // inputs that carry `hu`, runs twice: the whole slices, then the liver
  // regions found by the first pass (samples without a liver found keep the
  // first pass). Never throws; a torch failure becomes INTERNAL.
  virtual absl::StatusOr<std::vector<Prediction>> Predict(
      const std::vector<const ModelInput*>& batch) = 0;

  virtual const ModelConfig& config() const = 0;
  virtual const Tokenizer& tokenizer() const = 0;
  virtual const Provenance& provenance() const = 0;
  // "cpu" or "cuda:N" (+ "/fp16" when autocasting).
  virtual std::string device() const = 0;
  virtual int64_t parameter_count() const = 0;
  // Device memory in bytes (CUDA caching allocator); 0 on CPU.
  virtual int64_t device_memory_allocated() const = 0;
  virtual int64_t device_memory_reserved() const = 0;
};

}  // namespace lsms

#endif  // LSMS_MODEL_SEGMENTER_H_
