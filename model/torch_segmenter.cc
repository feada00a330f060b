// Segmenter implementation on libtorch: the only place where torch meets the
// server-facing interface. c10::Error and std::exception are converted to
// absl::Status here, once.
#include <algorithm>
#include <cstring>

#include <optional>

#include <torch/torch.h>
#ifdef LSMS_WITH_CUDA  // set by CMake when the libtorch in use has CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "model/checkpoint.h"
#include "model/liver_roi.h"
#include "model/segmenter.h"
#include "model/torch_device.h"

namespace lsms {
namespace {

// A 0.75 mm pixel at 512 px, the middle of typical abdominal CT spacing.
constexpr float kTypicalFieldOfViewMm = 0.75f * 512.0f;

class TorchSegmenter final : public Segmenter {
 public:
  TorchSegmenter(LoadedCheckpoint ckpt, std::unique_ptr<Tokenizer> tokenizer, torch::Device device,
                 std::string autocast, bool flip_averaging, std::shared_ptr<ExpressionCache> cache,
                 uint64_t cache_scope)
      : info_(std::move(ckpt.info)),
        net_(std::move(ckpt.net)),
        tokenizer_(std::move(tokenizer)),
        device_(device),
        autocast_(device.is_cuda() ? std::move(autocast) : "none"),
        flip_averaging_(flip_averaging),
        left_id_(tokenizer_->TokenId("left")),
        right_id_(tokenizer_->TokenId("right")),
        cache_(std::move(cache)),
        cache_scope_(cache_scope) {
    net_->to(device_);
    net_->eval();
#ifdef LSMS_WITH_CUDA
    // One stream per instance, so instances on one GPU overlap.
    if (device_.is_cuda()) stream_ = c10::cuda::getStreamFromPool(/*isHighPriority=*/false, device_.index());
#endif
    for (const auto& p : net_->parameters()) parameters_ += p.numel();
  }

  absl::StatusOr<std::vector<Prediction>> Predict(
      const std::vector<const ModelInput*>& batch) override {
    if (batch.empty()) return std::vector<Prediction>{};
    try {
      return PredictOrThrow(batch);
    } catch (const c10::Error& e) {
      return absl::InternalError(absl::StrCat("model failure: ", e.what_without_backtrace()));
    } catch (const std::exception& e) {
      return absl::InternalError(absl::StrCat("model failure: ", e.what()));
    }
  }

  const ModelConfig& config() const override { return info_.config; }
  const Tokenizer& tokenizer() const override { return *tokenizer_; }
  const Provenance& provenance() const override { return info_.provenance; }
  std::string device() const override {
    std::string d = device_.str();
    if (autocast_ != "none") absl::StrAppend(&d, "/", autocast_);
    return d;
  }
  int64_t parameter_count() const override { return parameters_; }
  int64_t device_memory_allocated() const override { return MemoryStat(/*reserved=*/false); }
  int64_t device_memory_reserved() const override { return MemoryStat(/*reserved=*/true); }

 private:
  // One forward pass; results on the CPU as float.
  struct PassResult {
    torch::Tensor prob, present, relevance;  // B×S×S, B, B×T
    torch::Tensor liver;  // B×S×S; only when asked for (pass 1 of two)
  };

  // The expression as the mirrored image reads it: "left" ⇄ "right".
  torch::Tensor MirrorWords(const torch::Tensor& ids) const {
    auto left = ids == left_id_, right = ids == right_id_;
    return torch::where(left, torch::full_like(ids, right_id_), torch::where(right, torch::full_like(ids, left_id_), ids));
  }

  // B×T×text_dim word features for `ids`/`mask` (CPU), on the device: each
  // distinct expression once per Predict() (words_memo_), from the shared
  // cache when it has it, the rest in one text-encoder run that fills the
  // cache. Undefined without a cache (forward() then runs the encoder).
  // Counts one hit or miss per sample of the first pass that sees it (pass 2
  // reuses the memo uncounted; a flip-averaged pass's mirrored expression is
  // an entry of its own).
  torch::Tensor Words(const torch::Tensor& ids, const torch::Tensor& mask) {
    if (!cache_) return {};
    const int64_t b = ids.size(0), t = ids.size(1);
    auto acc = ids.accessor<int64_t, 2>();
    std::vector<std::vector<int32_t>> keys(static_cast<size_t>(b));
    std::vector<int64_t> to_compute;  // first row of each expression nobody has
    int64_t reused_in_batch = 0;
    absl::flat_hash_map<std::vector<int32_t>, int64_t> pending;  // key → row in to_compute
    for (int64_t i = 0; i < b; ++i) {
      auto& key = keys[static_cast<size_t>(i)];
      key.resize(static_cast<size_t>(t));
      for (int64_t k = 0; k < t; ++k) key[static_cast<size_t>(k)] = static_cast<int32_t>(acc[i][k]);
      if (words_memo_.contains(key)) continue;
      if (pending.contains(key)) {
        ++reused_in_batch;
        continue;
      }
      if (ExpressionCache::Value v = cache_->Find({cache_scope_, key})) {
        words_memo_.emplace(key, *static_cast<const torch::Tensor*>(v.get()));
      } else {
        pending.emplace(key, static_cast<int64_t>(to_compute.size()));
        to_compute.push_back(i);
      }
    }
    if (reused_in_batch > 0) cache_->CountHits(reused_in_batch);
    if (!to_compute.empty()) {
      auto index = torch::tensor(to_compute, torch::kLong);
      auto computed = net_->text(ids.index_select(0, index).to(device_), mask.index_select(0, index).to(device_));
#ifdef LSMS_WITH_CUDA
      // Another instance may read the entry on its own stream: finish first.
      if (stream_) stream_->synchronize();
#endif
      for (size_t j = 0; j < to_compute.size(); ++j) {
        const auto& key = keys[static_cast<size_t>(to_compute[j])];
        torch::Tensor w = computed[static_cast<int64_t>(j)].clone();
        cache_->Insert({cache_scope_, key}, std::make_shared<const torch::Tensor>(w));
        words_memo_.emplace(key, std::move(w));
      }
    }
    std::vector<torch::Tensor> rows;
    rows.reserve(static_cast<size_t>(b));
    for (const auto& key : keys) rows.push_back(words_memo_.at(key));
    return torch::stack(rows);
  }

  // One forward pass; with `flip_average` the batch runs twice in one call,
  // as is and mirrored (words swapped), and the halves are averaged.
  PassResult RunPass(const torch::Tensor& image, const torch::Tensor& ids, const torch::Tensor& mask,
                     const torch::Tensor& mm, bool want_liver, bool flip_average = false) {
    c10::InferenceMode guard;
    if (flip_average) {
      const int64_t b = image.size(0);
      PassResult both = RunPass(torch::cat({image, image.flip({3})}), torch::cat({ids, MirrorWords(ids)}),
                                torch::cat({mask, mask}), torch::cat({mm, mm}), want_liver);
      PassResult r;
      r.prob = (0.5 * (both.prob.slice(0, 0, b) + both.prob.slice(0, b).flip({2}))).contiguous();
      r.present = (0.5 * (both.present.slice(0, 0, b) + both.present.slice(0, b))).contiguous();
      r.relevance = (0.5 * (both.relevance.slice(0, 0, b) + both.relevance.slice(0, b))).contiguous();
      if (want_liver) r.liver = both.liver.slice(0, 0, b).contiguous();
      return r;
    }
#ifdef LSMS_WITH_CUDA
    std::optional<c10::cuda::CUDAStreamGuard> stream_guard;
    if (stream_) stream_guard.emplace(*stream_);
#endif
    NetInputs in;
    in.image = image.to(device_);
    in.ids = ids.to(device_);
    in.mask = mask.to(device_);
    in.mm_per_pixel = mm.to(device_);
    PassResult r;
    {
      CudaAutocastScope cast(autocast_);
      in.words = Words(ids, mask);
      auto out = net_->forward(in);
      // Ungated: PredictOrThrow gates on the final (possibly flip-averaged)
      // score that Prediction reports, so the mask is empty exactly when it is
      // below the threshold.
      r.prob = net_->ReferredProbability(out, in, /*gate=*/false).to(torch::kFloat32);
      r.present = torch::sigmoid(out.present_logit).to(torch::kFloat32);
      r.relevance = net_->TokenRelevance(r.prob, in.mask).to(torch::kFloat32);
      if (want_liver) r.liver = torch::sigmoid(out.liver_logits).to(torch::kFloat32).to(torch::kCPU).contiguous();
    }
    r.prob = r.prob.to(torch::kCPU).contiguous();
    r.present = r.present.to(torch::kCPU).contiguous();
    r.relevance = r.relevance.to(torch::kCPU).contiguous();
    return r;
  }

  absl::StatusOr<std::vector<Prediction>> PredictOrThrow(
      const std::vector<const ModelInput*>& batch) {
    const auto& c = info_.config;
    const int64_t b = static_cast<int64_t>(batch.size());
    const int64_t s = c.input_size, w = static_cast<int64_t>(c.windows.size());
    const int64_t t = c.max_tokens;
    words_memo_.clear();
    auto image = torch::empty({b, w, s, s});
    auto ids = torch::empty({b, t}, torch::kLong);
    auto mask = torch::empty({b, t}, torch::kFloat32);
    auto mm = torch::empty({b});
    for (int64_t i = 0; i < b; ++i) {
      const ModelInput& in = *batch[i];
      if (static_cast<int64_t>(in.image.size()) != w * s * s) {
        return absl::InvalidArgumentError(absl::StrCat("sample ", i, " has ", in.image.size(),
                                                       " floats, model needs ", w * s * s));
      }
      if (static_cast<int64_t>(in.tokens.ids.size()) != t) {
        return absl::InvalidArgumentError(
            absl::StrCat("sample ", i, " has ", in.tokens.ids.size(), " tokens, model needs ", t));
      }
      if (in.box.size != s || in.box.rows <= 0 || in.box.cols <= 0) {
        return absl::InvalidArgumentError(absl::StrCat("sample ", i, " has no letterbox of size ", s));
      }
      if (in.hu && (in.hu->rows != in.box.rows || in.hu->cols != in.box.cols)) {
        return absl::InvalidArgumentError(absl::StrCat("sample ", i, ": HU image is ", in.hu->cols, "x",
                                                       in.hu->rows, ", letterbox says ", in.box.cols, "x",
                                                       in.box.rows));
      }
      std::memcpy(image[i].data_ptr<float>(), in.image.data(), in.image.size() * sizeof(float));
      for (int64_t k = 0; k < t; ++k) {
        ids[i][k] = static_cast<int64_t>(in.tokens.ids[k]);
        mask[i][k] = static_cast<float>(in.tokens.attention_mask[k]);
      }
      mm[i] = in.mm_per_pixel > 0 ? in.mm_per_pixel : kTypicalFieldOfViewMm / s;
    }
    const bool two_pass = c.roi_margin > 0 && std::any_of(batch.begin(), batch.end(),
                                                          [](const ModelInput* in) { return in->hu != nullptr; });
    // Flip averaging applies to the pass that answers; pass 1 of two only finds the liver.
    PassResult pass = RunPass(image, ids, mask, mm, /*want_liver=*/two_pass, flip_averaging_ && !two_pass);
    std::vector<Letterbox> boxes(static_cast<size_t>(b));
    std::vector<bool> in_region(static_cast<size_t>(b), false);
    for (int64_t i = 0; i < b; ++i) boxes[i] = batch[i]->box;
    if (two_pass) SecondPass(batch, ids, mask, mm, &pass, &boxes, &in_region);

    std::vector<Prediction> out(static_cast<size_t>(b));
    for (int64_t i = 0; i < b; ++i) {
      Prediction& p = out[i];
      p.box = boxes[i];
      p.liver_region = in_region[i];
      p.probability.rows = p.probability.cols = static_cast<int>(s);
      const float* src = pass.prob[i].data_ptr<float>();
      p.probability.data.assign(src, src + s * s);
      p.target_present = pass.present[i].item<float>();
      const bool below_peak =
          c.peak_threshold > 0 &&
          *std::max_element(p.probability.data.begin(), p.probability.data.end()) < c.peak_threshold;
      if (p.target_present < c.present_threshold || below_peak) {
        std::fill(p.probability.data.begin(), p.probability.data.end(), 0.0f);
      }
      // Relevance over the expression's own tokens only.
      const auto& tok = batch[i]->tokens;
      p.token_relevance.assign(static_cast<size_t>(t), 0.0f);
      float sum = 0;
      for (int64_t k = 0; k < t; ++k) {
        bool special = tok.attention_mask[k] == 0 || tok.ids[k] == tokenizer_->cls_id() ||
                       tok.ids[k] == tokenizer_->sep_id();
        if (!special) {
          p.token_relevance[k] = pass.relevance[i][k].item<float>();
          sum += p.token_relevance[k];
        }
      }
      if (sum > 0) {
        for (float& r : p.token_relevance) r /= sum;
      }
    }
    return out;
  }

  // Pass 2 of the liver region of interest (model/liver_roi.h): samples that
  // carry HU and whose first pass found a liver are preprocessed again on the
  // liver's region and run once more; their results and boxes replace the
  // first pass's.
  void SecondPass(const std::vector<const ModelInput*>& batch, const torch::Tensor& ids,
                  const torch::Tensor& mask, const torch::Tensor& mm, PassResult* pass,
                  std::vector<Letterbox>* boxes, std::vector<bool>* in_region) {
    const auto& c = info_.config;
    const int64_t s = c.input_size, w = static_cast<int64_t>(c.windows.size());
    LiverRoiOptions roi;
    roi.margin = c.roi_margin;
    std::vector<int64_t> picked;
    std::vector<Letterbox> regions;
    std::vector<float> offsets;  // liver-relative windows (0 = absolute)
    for (size_t i = 0; i < batch.size(); ++i) {
      if (!batch[i]->hu) continue;
      const float* src = pass->liver[static_cast<int64_t>(i)].data_ptr<float>();
      Image liver{static_cast<int>(s), static_cast<int>(s), std::vector<float>(src, src + s * s)};
      std::optional<Letterbox> region = LiverRoi(liver, batch[i]->box, static_cast<int>(s), roi);
      if (!region) continue;
      picked.push_back(static_cast<int64_t>(i));
      regions.push_back(*region);
      offsets.push_back(c.liver_reference_hu > 0
                            ? LiverRelativeOffset(LiverMedianHu(*batch[i]->hu, liver, batch[i]->box),
                                                  c.liver_reference_hu)
                            : 0.0f);
    }
    if (picked.empty()) return;
    // The first pass's tensors are inference tensors: update them in the mode.
    c10::InferenceMode guard;
    const int64_t n = static_cast<int64_t>(picked.size());
    auto image = torch::empty({n, w, s, s});
    auto mm2 = torch::empty({n});
    for (int64_t k = 0; k < n; ++k) {
      const ModelInput& in = *batch[picked[k]];
      std::vector<float> x = PreprocessHu(*in.hu, c, regions[k], offsets[k]);
      std::memcpy(image[k].data_ptr<float>(), x.data(), x.size() * sizeof(float));
      // Same physical pixel size, rescaled from the whole slice's grid.
      mm2[k] = mm[picked[k]].item<float>() * static_cast<float>(in.box.scale / regions[k].scale);
    }
    auto index = torch::tensor(picked, torch::kLong);
    PassResult second =
        RunPass(image, ids.index_select(0, index), mask.index_select(0, index), mm2, /*want_liver=*/false,
                flip_averaging_);
    pass->prob.index_copy_(0, index, second.prob);
    pass->present.index_copy_(0, index, second.present);
    pass->relevance.index_copy_(0, index, second.relevance);
    for (int64_t k = 0; k < n; ++k) {
      (*boxes)[picked[k]] = regions[k];
      (*in_region)[picked[k]] = true;
    }
  }

  int64_t MemoryStat(bool reserved) const {
#ifdef LSMS_WITH_CUDA
    if (device_.is_cuda()) {
      const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device_.index());
      // StatType::AGGREGATE, index 0 in every libtorch (the enum moved from
      // c10::cuda::CUDACachingAllocator to c10::CachingAllocator in 2.x).
      constexpr size_t agg = 0;
      return reserved ? stats.reserved_bytes[agg].current : stats.allocated_bytes[agg].current;
    }
#endif
    (void)reserved;
    return 0;
  }

  CheckpointInfo info_;
  LsmsNet net_;
#ifdef LSMS_WITH_CUDA
  std::optional<c10::cuda::CUDAStream> stream_;
#endif
  std::unique_ptr<Tokenizer> tokenizer_;
  torch::Device device_;
  std::string autocast_;
  bool flip_averaging_;
  int left_id_, right_id_;  // token ids, -1 when absent
  const std::shared_ptr<ExpressionCache> cache_;  // may be null
  const uint64_t cache_scope_;
  // This Predict()'s word features by expression (see Words()).
  absl::flat_hash_map<std::vector<int32_t>, torch::Tensor> words_memo_;
  int64_t parameters_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Segmenter>> Segmenter::Load(const Options& options) {
  if (options.autocast != "none" && options.autocast != "fp16" && options.autocast != "bf16") {
    return absl::InvalidArgumentError(
        absl::StrCat("autocast must be none, fp16 or bf16, got '", options.autocast, "'"));
  }
  LSMS_ASSIGN_OR_RETURN(torch::Device device, ParseDevice(options.device));
  if (options.num_threads > 0) torch::set_num_threads(options.num_threads);
  LSMS_ASSIGN_OR_RETURN(LoadedCheckpoint ckpt, LoadCheckpoint(options.checkpoint_path));
  if (!options.calibration.empty()) {
    LSMS_RETURN_IF_ERROR(ApplyCalibration(options.calibration, &ckpt.info.config));
    LSMS_RETURN_IF_ERROR(ApplyCalibration(options.calibration, &ckpt.net->config));
  }
  if (options.absolute_windows) ckpt.info.config.liver_reference_hu = ckpt.net->config.liver_reference_hu = 0.0f;
  LSMS_ASSIGN_OR_RETURN(std::unique_ptr<Tokenizer> tokenizer,
                        Tokenizer::FromVocabText(ckpt.info.vocab));
  if (tokenizer->vocab_size() != ckpt.info.config.vocab_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        options.checkpoint_path, ": vocabulary has ", tokenizer->vocab_size(),
        " tokens, config says ", ckpt.info.config.vocab_size));
  }
  if (options.flip_averaging && (tokenizer->TokenId("left") < 0 || tokenizer->TokenId("right") < 0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        options.checkpoint_path, ": flip averaging needs the words 'left' and 'right' in the vocabulary"));
  }
  try {
    return std::unique_ptr<Segmenter>(new TorchSegmenter(std::move(ckpt), std::move(tokenizer), device,
                                                         options.autocast, options.flip_averaging,
                                                         options.expression_cache, options.expression_cache_scope));
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("moving the model to ", device.str(), ": ",
                                            e.what_without_backtrace()));
  }
}

}  // namespace lsms
