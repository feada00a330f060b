#include "server/model_runner.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "server/postprocess.h"
#include "server/warmup_slice.h"

namespace lsms {
namespace {

double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

}  // namespace

absl::StatusOr<std::unique_ptr<ModelRunner>> ModelRunner::Create(const ModelRunnerOptions& options) {
  if (options.num_instances < 1) return absl::InvalidArgumentError("num_instances must be ≥ 1");
  if (!options.segmenter_factory) return absl::InvalidArgumentError("no segmenter_factory: nothing loads the model");
  auto r = std::unique_ptr<ModelRunner>(new ModelRunner());
  r->options_ = options;
  if (options.expression_cache_entries < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("expression_cache_entries must be ≥ 0, got ", options.expression_cache_entries));
  }
  if (options.expression_cache_entries > 0) {
    LSMS_ASSIGN_OR_RETURN(r->expression_cache_, ExpressionCache::Create(options.expression_cache_entries));
  }
  LSMS_ASSIGN_OR_RETURN(std::shared_ptr<ModelSet> set, r->LoadSet(options.model));
  {
    absl::MutexLock l(&r->mu_);
    r->current_ = std::move(set);
  }
  batching::BatcherOptions b = options.batching;
  b.num_workers = options.num_instances;
  LSMS_ASSIGN_OR_RETURN(r->batcher_, Batcher::Create(b, [p = r.get()](int w, Batcher::Batch batch) {
                          p->ProcessBatch(w, std::move(batch));
                        }));
  r->measured_.set_max_batch_size(static_cast<uint32_t>(b.max_batch_size));
  r->measured_.set_max_queue_delay_ms(Ms(b.max_queue_delay));
  r->measured_.set_max_queue_size(static_cast<uint32_t>(b.max_queue_size));
  r->measured_.set_num_instances(static_cast<uint32_t>(options.num_instances));
  return r;
}

absl::StatusOr<std::shared_ptr<ModelSet>> ModelRunner::LoadSet(const Segmenter::Options& model) const {
  auto set = std::make_shared<ModelSet>();
  Segmenter::Options with_cache = model;
  with_cache.expression_cache = expression_cache_;
  with_cache.expression_cache_scope = next_cache_scope_.fetch_add(1);
  for (int i = 0; i < options_.num_instances; ++i) {
    LSMS_ASSIGN_OR_RETURN(auto seg, options_.segmenter_factory(with_cache));
    set->instances.push_back(std::move(seg));
  }
  return set;
}

ModelRunner::~ModelRunner() { Shutdown(); }

std::shared_ptr<const ModelSet> ModelRunner::current() const {
  absl::MutexLock l(&mu_);
  return current_;
}

namespace {

// A request-shaped input for warm-up passes: the warm-up slice, prepared as
// the request preprocessor prepares a DICOM slice.
ModelInput WarmUpInput(const Segmenter& model) {
  const ModelConfig& c = model.config();
  ModelInput in;
  Image hu = WarmUpSlice();
  in.image = PreprocessHu(hu, c, &in.box);
  if (c.roi_margin > 0) in.hu = std::make_shared<const Image>(std::move(hu));
  in.mm_per_pixel = kWarmUpSpacingMm / in.box.scale;
  in.tokens = model.tokenizer().Encode(kWarmUpExpression, c.max_tokens);
  return in;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const ModelSet>> ModelRunner::Reload(const std::string& checkpoint_path) {
  if (reloading_.exchange(true)) return absl::AbortedError("a model reload is already in progress");
  struct Done {
    std::atomic<bool>* flag;
    ~Done() { flag->store(false); }
  } done{&reloading_};
  Segmenter::Options model = options_.model;
  if (!checkpoint_path.empty()) model.checkpoint_path = checkpoint_path;
  LSMS_ASSIGN_OR_RETURN(std::shared_ptr<ModelSet> set, LoadSet(model));
  // Warm the new model at every batch size it may get, so the first
  // requests after the swap do not pay for allocations and kernel choice.
  const ModelInput dummy = WarmUpInput(set->model());
  for (int b = 1; b <= batcher_->max_batch_size(); b *= 2) {
    std::vector<const ModelInput*> batch(static_cast<size_t>(b), &dummy);
    for (auto& inst : set->instances) LSMS_RETURN_IF_ERROR(inst->Predict(batch).status());
  }
  {
    absl::MutexLock l(&mu_);
    current_ = set;
  }
  std::cerr << "lsms-server: model " << set->version() << " loaded and serving" << std::endl;
  return std::shared_ptr<const ModelSet>(std::move(set));
}

absl::Status ModelRunner::WarmUp() {
  const auto set = current();
  const auto& instances = set->instances;
  const ModelInput dummy = WarmUpInput(set->model());
  double best = 0;
  int best_size = 1;
  measured_.clear_measured();
  bool two_pass = false;
  for (int b = 1; b <= options_.batching.max_batch_size; b *= 2) {
    std::vector<const ModelInput*> batch(static_cast<size_t>(b), &dummy);
    double seconds = 0;
    for (auto& inst : instances) {
      LSMS_ASSIGN_OR_RETURN(auto first, inst->Predict(batch));  // untimed: allocations, kernels
      two_pass = !first.empty() && first[0].liver_region;
    }
    for (int it = 0; it < std::max(1, options_.warmup_iterations); ++it) {
      const absl::Time t0 = absl::Now();
      LSMS_RETURN_IF_ERROR(instances[0]->Predict(batch).status());
      seconds += absl::ToDoubleSeconds(absl::Now() - t0);
    }
    const double ips = b * std::max(1, options_.warmup_iterations) / seconds;
    auto* m = measured_.add_measured();
    m->set_batch_size(static_cast<uint32_t>(b));
    m->set_images_per_second(ips);
    std::cerr << "lsms-server: warm-up batch " << b << ": " << ips << " images/s" << std::endl;
    if (ips > best * 1.05) {  // a larger batch must earn its extra latency
      best = ips;
      best_size = b;
    }
  }
  measured_.set_warmup_input(absl::StrCat(
      kWarmUpSliceSize, "x", kWarmUpSliceSize, " abdominal CT slice with a liver (", kWarmUpSpacingMm, " mm), '",
      kWarmUpExpression, "', ",
      two_pass ? "two passes (liver found)" : (set->model().config().roi_margin > 0 ? "one pass (no liver found)" : "one pass")));
  measured_.set_warmup_two_pass(two_pass);
  if (options_.cap_batch_size_by_throughput) {
    batcher_->SetMaxBatchSize(best_size);
    measured_.set_max_batch_size(static_cast<uint32_t>(best_size));
  }
  std::cerr << "lsms-server: batch policy on " << set->model().device() << ": max batch "
            << measured_.max_batch_size() << " (measured on a " << measured_.warmup_input() << ")" << std::endl;
  return absl::OkStatus();
}

absl::Status ModelRunner::Submit(std::unique_ptr<SegmentTask>* task) {
  (*task)->queued = absl::Now();
  return batcher_->Schedule(task);
}

void ModelRunner::Shutdown(absl::Time drain_deadline) {
  if (batcher_) batcher_->Shutdown(drain_deadline);
}

lsms::v1::BatchingPolicy ModelRunner::policy() const { return measured_; }

absl::Status ModelRunner::QueueFullStatus() const {
  return absl::ResourceExhaustedError(
      absl::StrCat("queue full (", options_.batching.max_queue_size, " requests waiting)"));
}

void ModelRunner::ProcessBatch(int worker, Batcher::Batch batch) {
  // Tasks prepared for different models (a reload happened while they were
  // queued) run as separate groups, each on its own model.
  size_t begin = 0;
  while (begin < batch.size()) {
    const ModelSet* set = batch[begin]->model.get();
    size_t end = begin + 1;
    while (end < batch.size() && batch[end]->model.get() == set) ++end;
    RunGroup(worker, *set, batch, begin, end);
    begin = end;
  }
}

void ModelRunner::RunGroup(int worker, const ModelSet& set, Batcher::Batch& batch, size_t begin, size_t end) {
  const absl::Time start = absl::Now();
  Segmenter& model = *set.instances[static_cast<size_t>(worker)];
  std::vector<const ModelInput*> inputs;
  inputs.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) inputs.push_back(&batch[i]->prepared.input);
  absl::StatusOr<std::vector<Prediction>> predictions;
  try {  // Segmenter promises not to throw; a worker must survive one that does.
    predictions = model.Predict(inputs);
  } catch (const std::exception& e) {
    predictions = absl::InternalError(absl::StrCat("model failure: ", e.what()));
  } catch (...) {
    predictions = absl::InternalError("model failure: unknown exception");
  }
  if (!predictions.ok() && end - begin > 1) {
    // One request's input can fail the whole batch: run each alone, so that
    // only the request that fails gets the error and its neighbours their
    // answers.
    for (size_t i = begin; i < end; ++i) RunGroup(worker, set, batch, i, i + 1);
    return;
  }
  const absl::Duration inference = absl::Now() - start;
  if (options_.on_batch) options_.on_batch(static_cast<int>(end - begin));
  for (size_t i = begin; i < end; ++i) {
    SegmentTask& t = *batch[i];
    if (!predictions.ok()) {
      t.done(predictions.status());
      continue;
    }
    const absl::Time post_start = absl::Now();
    lsms::v1::SegmentResponse r;
    absl::Status st;
    try {
      st = Postprocess((*predictions)[i - begin], t.prepared.context, set.version(), &r);
    } catch (const std::exception& e) {
      st = absl::InternalError(absl::StrCat("postprocessing failed: ", e.what()));
    }
    if (!st.ok()) {
      t.done(st);
      continue;
    }
    const absl::Time finish = absl::Now();
    auto* timing = r.mutable_timing();
    timing->set_queue_ms(Ms(start - t.queued));
    timing->set_preprocess_ms(Ms(t.preprocess));
    timing->set_inference_ms(Ms(inference));
    timing->set_postprocess_ms(Ms(finish - post_start));
    timing->set_total_ms(Ms(finish - t.received));
    timing->set_batch_size(static_cast<uint32_t>(end - begin));
    r.set_model_version(set.version());
    t.done(std::move(r));
  }
}

}  // namespace lsms
