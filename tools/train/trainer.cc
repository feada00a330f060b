#include "tools/train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/png_codec.h"
#include "common/status_macros.h"
#include "model/checkpoint.h"
#include "model/losses.h"
#include "model/pretrained_text.h"
#include "model/torch_device.h"
#include "model/tokenizer.h"
#include "tools/synth/expression_grammar.h"
#include "tools/train/dataset.h"
#include "tools/train/dataset_tensors.h"

namespace lsms::train {
namespace {

// The text encoder's pretrained (frozen) tensors; text.proj is trained.
const std::vector<std::string> kPretrainedTextPrefixes = {"text.embeddings.", "text.encoder."};

namespace fs = std::filesystem;
namespace F = torch::nn::functional;
using Clock = std::chrono::steady_clock;

bool SameWindow(const HuWindow& a, const HuWindow& b) { return a.width == b.width && a.level == b.level; }

// `windows` followed by `added`; unchanged when it already ends with `added`
// (a resumed run repeats its --add_window). A window it already has elsewhere
// would be a second copy of one input channel: an error.
absl::StatusOr<std::vector<HuWindow>> AppendWindows(std::vector<HuWindow> windows,
                                                    const std::vector<HuWindow>& added) {
  if (added.empty()) return windows;
  if (windows.size() >= added.size() &&
      std::equal(added.begin(), added.end(), windows.end() - added.size(), SameWindow)) {
    return windows;
  }
  for (const HuWindow& a : added) {
    if (a.width <= 0) return absl::InvalidArgumentError(absl::StrCat("window width ", a.width, " is not positive"));
    for (const HuWindow& w : windows) {
      if (SameWindow(a, w)) {
        return absl::InvalidArgumentError(
            absl::StrCat("the model already reads the window of width ", a.width, " HU at level ", a.level));
      }
    }
    windows.push_back(a);
  }
  return windows;
}

// Drops the rows of `csv` after `step`. A process stopped between two
// checkpoints logged steps its resume repeats; without this the log would hold
// them twice.
void TruncateLogAfter(const fs::path& csv, int step) {
  std::ifstream in(csv.string());
  std::string header, line, kept;
  if (!std::getline(in, header)) return;
  while (std::getline(in, line)) {
    if (std::atoi(line.c_str()) > step) break;  // rows are in step order
    kept += line + "\n";
  }
  in.close();
  std::ofstream(csv.string(), std::ios::trunc) << header << "\n" << kept;
}

// Sampling weight of each expression kind: comparison kinds are oversampled.
double KindWeight(const std::string& kind) {
  if (kind == "size_rank" || kind == "location") return 2.0;
  if (kind == "no_target" || kind == "size_approx") return 1.25;
  return 1.0;
}

struct Built {
  NetInputs in;
  LossTargets targets;
};

torch::Tensor To(const torch::Tensor& t, const torch::Device& device) {
  return t.defined() ? t.to(device, /*non_blocking=*/false) : t;
}

NetInputs ToDevice(NetInputs in, const torch::Device& device) {
  if (device.is_cpu()) return in;
  for (torch::Tensor* t : {&in.image, &in.ids, &in.mask, &in.mm_per_pixel, &in.candidates,
                           &in.candidate_valid, &in.liver}) {
    *t = To(*t, device);
  }
  return in;
}

Built ToDevice(Built b, const torch::Device& device) {
  if (device.is_cpu()) return b;
  b.in = ToDevice(std::move(b.in), device);
  for (torch::Tensor* t : {&b.targets.target, &b.targets.all_lesions, &b.targets.liver, &b.targets.present,
                           &b.targets.group, &b.targets.candidate_target, &b.targets.candidate_valid,
                           &b.targets.instances}) {
    *t = To(*t, device);
  }
  return b;
}

class Trainer {
 public:
  Trainer(const TrainOptions& o, torch::Device device, ModelConfig config, std::unique_ptr<Tokenizer> tok,
          LsmsNet net, Dataset train, Dataset val, CheckpointInfo info)
      : o_(o), device_(device), c_(std::move(config)), tok_(std::move(tok)), net_(std::move(net)),
        train_(std::move(train)), val_(std::move(val)), info_(std::move(info)) {
    for (const auto& [kind, idx] : train_.by_kind) {
      kinds_.push_back(kind);
      kind_weights_.push_back(KindWeight(kind));
    }
    image_samples_.resize(train_.images.size());
    for (size_t i = 0; i < train_.samples.size(); ++i) image_samples_[train_.samples[i].image].push_back(static_cast<int>(i));
  }

  absl::Status Run();

 private:
  Built MakeBatch(std::mt19937_64& rng);
  std::map<std::string, double> Validate();
  absl::Status Save(const std::string& name, int step, double best);
  void SetLearningRate(int step);

  TrainOptions o_;
  torch::Device device_;
  ModelConfig c_;
  std::unique_ptr<Tokenizer> tok_;
  LsmsNet net_;
  Dataset train_, val_;
  CheckpointInfo info_;
  std::vector<std::string> kinds_;
  std::vector<double> kind_weights_;
  std::vector<std::vector<int>> image_samples_;
  std::unique_ptr<torch::optim::AdamW> opt_;
  std::vector<double> base_lr_;
};

Built Trainer::MakeBatch(std::mt19937_64& rng) {
  const int64_t s = c_.input_size, w = static_cast<int64_t>(c_.windows.size());
  const int64_t k = c_.max_candidates, t = c_.max_tokens;
  std::uniform_real_distribution<double> u(0, 1);
  std::discrete_distribution<size_t> pick_kind(kind_weights_.begin(), kind_weights_.end());
  std::vector<torch::Tensor> images, ids, masks, mms, cands, valids, ctargets, livers, targets, alls, presents, groups;
  for (int b = 0; b < o_.images_per_batch; ++b) {
    const auto& pool = train_.by_kind[kinds_[pick_kind(rng)]];
    const Sample& first = train_.samples[pool[std::uniform_int_distribution<size_t>(0, pool.size() - 1)(rng)]];
    const ImageEntry& img = train_.images[first.image];
    std::vector<int> chosen = image_samples_[first.image];
    std::shuffle(chosen.begin(), chosen.end(), rng);
    chosen.erase(std::remove(chosen.begin(), chosen.end(), &first - train_.samples.data()), chosen.end());
    chosen.insert(chosen.begin(), static_cast<int>(&first - train_.samples.data()));
    if (static_cast<int>(chosen.size()) > o_.expressions_per_image) chosen.resize(o_.expressions_per_image);
    const int64_t e = static_cast<int64_t>(chosen.size());

    auto image = torch::from_blob(const_cast<float*>(img.input.data()), {1, w, s, s}).clone();
    // Mask stack: E targets, K instances, liver.
    std::vector<torch::Tensor> stack;
    for (int idx : chosen) stack.push_back(MaskTensor(train_.samples[idx].mask, s));
    auto [inst, valid] = InstanceTensors(img, c_);
    stack.push_back(inst);
    const bool has_liver = !img.liver.empty();
    stack.push_back(has_liver ? MaskTensor(img.liver, s).unsqueeze(0) : torch::zeros({1, s, s}));
    std::vector<torch::Tensor> flat;
    for (auto& m : stack) flat.push_back(m.dim() == 2 ? m.unsqueeze(0) : m);
    auto m = torch::cat(flat, 0).unsqueeze(0);  // 1×(E+K+1)×S×S
    float mm = img.mm_per_pixel > 0 ? img.mm_per_pixel : 0.75f * 512 / s;
    bool flip = false;
    if (o_.augment) {
      const double zoom = std::exp(u(rng) * 0.2 - 0.1), rot = (u(rng) - 0.5) * 0.28;
      const double tx = (u(rng) - 0.5) * 0.12, ty = (u(rng) - 0.5) * 0.12;
      flip = u(rng) < o_.flip_probability;
      const double fx = flip ? -1.0 : 1.0;
      auto theta = torch::tensor({{{zoom * std::cos(rot) * fx, -zoom * std::sin(rot), tx},
                                   {zoom * std::sin(rot) * fx, zoom * std::cos(rot), ty}}},
                                 torch::kFloat32);
      auto grid = F::affine_grid(theta, {1, 1, s, s}, false);
      image = F::grid_sample(image, grid, F::GridSampleFuncOptions().padding_mode(torch::kBorder).align_corners(false));
      m = (F::grid_sample(m, grid, F::GridSampleFuncOptions().align_corners(false)) > 0.5).to(torch::kFloat32);
      mm = static_cast<float>(mm * zoom);
      const double contrast = 0.9 + 0.2 * u(rng), noise = 0.05 * u(rng);
      image = (image - image.mean()) * contrast + image.mean() + noise * torch::randn_like(image);
    }
    m = m.squeeze(0);
    auto inst_aug = m.slice(0, e, e + k);
    // A lesion pushed out of the field of view is no longer a candidate.
    auto valid_aug = valid * (inst_aug.sum({1, 2}) > 0).to(torch::kFloat32);
    auto all = inst_aug.amax(0);
    for (int64_t i = 0; i < e; ++i) {
      const Sample& smp = train_.samples[chosen[i]];
      std::string text = flip ? synth::SwapLeftRight(smp.expression) : smp.expression;
      Encoding enc = tok_->Encode(text, static_cast<int>(t));
      ids.push_back(torch::tensor(std::vector<int64_t>(enc.ids.begin(), enc.ids.end())));
      masks.push_back(torch::tensor(std::vector<float>(enc.attention_mask.begin(), enc.attention_mask.end())));
      images.push_back(image[0]);
      mms.push_back(torch::tensor({mm}));
      cands.push_back(inst_aug);
      valids.push_back(valid_aug);
      auto target = m[i];
      targets.push_back(target);
      // Candidate k is referred when it overlaps the target mask.
      auto overlap = (inst_aug * target.unsqueeze(0)).sum({1, 2}) / inst_aug.sum({1, 2}).clamp_min(1);
      ctargets.push_back((overlap > 0.5).to(torch::kFloat32) * valid_aug);
      livers.push_back(m[e + k]);
      alls.push_back(all);
      presents.push_back(torch::tensor({target.sum().item<float>() > 0 ? 1.0f : 0.0f}));
      groups.push_back(torch::tensor({static_cast<int64_t>(smp.group)}));
    }
  }
  Built out;
  out.in.image = torch::stack(images);
  out.in.ids = torch::stack(ids);
  out.in.mask = torch::stack(masks);
  out.in.mm_per_pixel = torch::cat(mms);
  out.in.candidates = torch::stack(cands);
  out.in.candidate_valid = torch::stack(valids);
  out.in.liver = torch::stack(livers);
  out.targets.target = torch::stack(targets);
  out.targets.all_lesions = torch::stack(alls);
  out.targets.liver = out.in.liver;
  out.targets.present = torch::cat(presents);
  out.targets.group = torch::cat(groups);
  out.targets.candidate_target = torch::stack(ctargets);
  out.targets.candidate_valid = out.in.candidate_valid;
  out.targets.instances = out.in.candidates;
  return out;
}

std::map<std::string, double> Trainer::Validate() {
  net_->eval();
  torch::NoGradGuard no_grad;
  const int64_t s = c_.input_size;
  std::map<std::string, double> sum, count;
  const size_t n = val_.samples.size();
  for (size_t start = 0; start < n; start += 16) {
    const size_t end = std::min(n, start + 16);
    std::vector<size_t> batch;
    for (size_t i = start; i < end; ++i) batch.push_back(i);
    NetInputs in = ToDevice(SampleInputs(val_, batch, *tok_, c_), device_);
    auto out = net_->forward(in);
    auto pred = (net_->ReferredProbability(out, in) > c_.default_threshold).to(torch::kCPU);
    for (size_t i = start; i < end; ++i) {
      const Sample& smp = val_.samples[i];
      auto gt = MaskTensor(smp.mask, s) > 0.5;
      auto p = pred[static_cast<int64_t>(i - start)];
      double inter = (p & gt).sum().item<double>(), uni = (p | gt).sum().item<double>();
      double iou = uni == 0 ? 1.0 : inter / uni;
      sum["miou"] += iou;
      count["miou"] += 1;
      sum["miou/" + smp.kind] += iou;
      count["miou/" + smp.kind] += 1;
    }
  }
  std::map<std::string, double> out;
  for (const auto& [k, v] : sum) out[k] = v / count[k];
  net_->train();
  return out;
}

void Trainer::SetLearningRate(int step) {
  double f;
  if (step < o_.warmup) {
    f = (step + 1.0) / o_.warmup;
  } else {
    double p = std::min(1.0, (step - o_.warmup) / std::max(1.0, double(o_.steps - o_.warmup)));
    f = o_.schedule == "poly" ? std::pow(1.0 - p, 0.9) : 0.5 * (1.0 + std::cos(M_PI * p));
    f = std::max(f, 0.01);
  }
  auto& groups = opt_->param_groups();
  for (size_t i = 0; i < groups.size(); ++i) {
    static_cast<torch::optim::AdamWOptions&>(groups[i].options()).lr(base_lr_[i] * f);
  }
}

absl::Status Trainer::Save(const std::string& name, int step, double best) {
  const fs::path dir = o_.out_dir;
  // The resumable state leaves out a frozen pretrained text encoder (~90 MB
  // that its package restores on --resume); "best" is a whole checkpoint.
  std::vector<std::string> omit;
  if (name == "last" && !o_.text_encoder.empty()) omit = {kPretrainedTextPrefixes.begin(), kPretrainedTextPrefixes.end()};
  LSMS_RETURN_IF_ERROR(SaveCheckpoint((dir / (name + ".safetensors")).string(), *net_, info_,
                                      WeightPrecision::kF32, omit));
  if (name == "last") {
    torch::save(*opt_, (dir / "last-optimizer.pt").string());
    std::ofstream((dir / "last-state.json").string()) << nlohmann::json{{"step", step}, {"best", best}}.dump();
  }
  return absl::OkStatus();
}

absl::Status Trainer::Run() {
  fs::create_directories(o_.out_dir);
  torch::manual_seed(o_.seed);
  // Parameter groups: no weight decay on biases, norms, layer scales,
  // embeddings' LayerNorm and the temperature; text encoder at its own lr.
  std::vector<torch::Tensor> decay, no_decay, text_decay, text_no_decay;
  for (const auto& p : net_->named_parameters()) {
    if (!p.value().requires_grad()) continue;  // a frozen pretrained encoder
    const bool is_text = p.key().rfind("text.", 0) == 0;
    const bool nd = p.value().dim() <= 1 || p.key().find("gamma") != std::string::npos ||
                    p.key().find("logit_scale") != std::string::npos;
    (is_text ? (nd ? text_no_decay : text_decay) : (nd ? no_decay : decay)).push_back(p.value());
  }
  const double text_lr = o_.text_lr > 0 ? o_.text_lr : o_.lr;
  std::vector<torch::optim::OptimizerParamGroup> groups;
  auto add = [&](std::vector<torch::Tensor> params, double lr, double wd) {
    if (params.empty()) return;
    groups.emplace_back(std::move(params), std::make_unique<torch::optim::AdamWOptions>(
                                               torch::optim::AdamWOptions(lr).weight_decay(wd)));
    base_lr_.push_back(lr);
  };
  add(decay, o_.lr, o_.weight_decay);
  add(no_decay, o_.lr, 0.0);
  add(text_decay, text_lr, o_.weight_decay);
  add(text_no_decay, text_lr, 0.0);
  opt_ = std::make_unique<torch::optim::AdamW>(std::move(groups));

  int start = 0;
  double best = -1;
  const fs::path dir = o_.out_dir;
  if (o_.resume && fs::exists(dir / "last-state.json")) {
    auto st = nlohmann::json::parse(std::ifstream((dir / "last-state.json").string()));
    start = st["step"].get<int>();
    best = st["best"].get<double>();
    // The optimizer's moments go where the parameters are, whichever device
    // saved them.
    torch::load(*opt_, (dir / "last-optimizer.pt").string(), device_);
    TruncateLogAfter(dir / "log.csv", start);
    std::cerr << "lsms-train: resuming at step " << start << " (best val mIoU " << best << ")\n";
  }
  const std::string leg_start = absl::FormatTime(absl::RFC3339_sec, absl::Now(), absl::UTCTimeZone());
  const size_t run_index = info_.provenance.runs.size();
  info_.provenance.runs.push_back("");
  info_.provenance.training_command = o_.command_line;
  std::ofstream csv((dir / "log.csv").string(), start > 0 ? std::ios::app : std::ios::trunc);
  if (start == 0) csv << "step,lr,loss,bce,dice,contrastive,present,aux,selection,pred_selection,seconds,val_miou\n";
  std::mt19937_64 rng(o_.seed * 7919 + static_cast<uint64_t>(start));
  torch::manual_seed(o_.seed + static_cast<uint64_t>(start));
  net_->train();
  const auto t0 = Clock::now();
  double ema = 0;
  LossWeights weights;
  weights.aux = o_.aux_weight;
  weights.present = o_.present_weight;
  for (int step = start; step < o_.steps; ++step) {
    SetLearningRate(step);
    Built b = ToDevice(MakeBatch(rng), device_);
    auto out = net_->forward(b.in);
    LossTerms l = ComputeLosses(*net_, out, b.targets, weights);
    // The selection head also learns on the candidates inference will give
    // it: fragments, merged lesions and spurious blobs included.
    torch::Tensor pred_sel = torch::zeros({});
    if (o_.predicted_selection > 0) {
      pred_sel = PredictedCandidateLoss(*net_, out, b.in, b.targets.target).first;
      l.total = l.total + o_.predicted_selection * pred_sel;
    }
    opt_->zero_grad();
    l.total.backward();
    torch::nn::utils::clip_grad_norm_(net_->parameters(), o_.clip);
    opt_->step();
    const double loss = l.total.item<double>();
    ema = step == start ? loss : 0.95 * ema + 0.05 * loss;
    const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    const double per_step = elapsed / (step - start + 1);
    std::string val_field;
    const bool validate = (step + 1) % o_.val_every == 0 || step + 1 == o_.steps;
    if (validate) {
      auto v = Validate();
      val_field = absl::StrFormat("%.4f", v["miou"]);
      std::cerr << "\n[val step " << step + 1 << "]";
      for (const auto& [k, x] : v) std::cerr << " " << k << "=" << absl::StrFormat("%.3f", x);
      std::cerr << "\n";
      info_.provenance.runs[run_index] = absl::StrCat("run ", run_index + 1, ": steps ", start, "..", step + 1,
                                                      ", started ", leg_start, ", wall ",
                                                      absl::StrFormat("%.0f", elapsed), " s, seed ", o_.seed);
      nlohmann::json mj(v);
      mj["step"] = step + 1;
      info_.provenance.metrics_json = mj.dump();
      info_.provenance.created = absl::FormatTime(absl::RFC3339_sec, absl::Now(), absl::UTCTimeZone());
      if (v["miou"] > best) {
        best = v["miou"];
        LSMS_RETURN_IF_ERROR(Save("best", step + 1, best));
      }
      LSMS_RETURN_IF_ERROR(Save("last", step + 1, best));
    }
    csv << absl::StrFormat("%d,%.6g,%.5f,%.5f,%.5f,%.5f,%.5f,%.5f,%.5f,%.5f,%.1f,%s\n", step + 1,
                           static_cast<torch::optim::AdamWOptions&>(opt_->param_groups()[0].options()).lr(), loss, l.bce.item<double>(), l.dice.item<double>(),
                           l.contrastive.item<double>(), l.present.item<double>(), l.aux.item<double>(),
                           l.selection.item<double>(), pred_sel.item<double>(), elapsed, val_field);
    csv.flush();
    const int done = step + 1 - start, total = o_.steps - start;
    const int bar = 30 * done / std::max(total, 1);
    std::cerr << "\r[" << std::string(bar, '#') << std::string(30 - bar, '.') << "] " << step + 1 << "/"
              << o_.steps << " loss " << absl::StrFormat("%.4f", ema) << " "
              << absl::StrFormat("%.2f", per_step) << " s/step ETA "
              << absl::StrFormat("%.0f", per_step * (o_.steps - step - 1)) << " s   " << std::flush;
  }
  std::cerr << "\nlsms-train: done, best val mIoU " << best << "\n";
  return absl::OkStatus();
}

}  // namespace

absl::Status Train(const TrainOptions& o) {
  try {
    if (o.threads > 0) torch::set_num_threads(o.threads);
    LSMS_ASSIGN_OR_RETURN(const torch::Device device, ParseDevice(o.device));
    CheckpointInfo info;
    LsmsNet net{nullptr};
    const fs::path dir = o.out_dir;
    std::string init = o.init_checkpoint;
    if (o.resume && fs::exists(dir / "last.safetensors")) init = (dir / "last.safetensors").string();
    std::optional<PretrainedText> pretrained;
    if (!o.text_encoder.empty()) {
      LSMS_ASSIGN_OR_RETURN(pretrained, ReadPretrainedText(o.text_encoder));
    }
    if (!init.empty()) {
      LSMS_ASSIGN_OR_RETURN(SafetensorsFile file, SafetensorsFile::Load(init));
      LSMS_ASSIGN_OR_RETURN(info, ReadCheckpointInfo(file));
      // Fine-tuning at another resolution: every weight is size-independent.
      if (o.input_size > 0) info.config.input_size = o.input_size;
      std::vector<std::string> new_modules;
      if (o.refine_channels >= 0 && o.refine_channels != info.config.refine_channels) {
        if (info.config.refine_channels != 0) {
          return absl::InvalidArgumentError(absl::StrCat(
              init, " already has a refinement head of width ", info.config.refine_channels));
        }
        info.config.refine_channels = o.refine_channels;
        new_modules.push_back("refine.");
      }
      if (o.candidate_relation_heads >= 0 && o.candidate_relation_heads != info.config.candidate_relation_heads) {
        if (info.config.candidate_relation_heads != 0) {
          return absl::InvalidArgumentError(absl::StrCat(init, " already relates its candidates with ",
                                                         info.config.candidate_relation_heads, " heads"));
        }
        info.config.candidate_relation_heads = o.candidate_relation_heads;
        new_modules.push_back("cand_relation.");
      }
      if (o.candidate_liver_frame >= 0 && (o.candidate_liver_frame == 1) != info.config.candidate_liver_frame) {
        if (info.config.candidate_liver_frame) {
          return absl::InvalidArgumentError(absl::StrCat(init, " already has liver-frame candidate features"));
        }
        info.config.candidate_liver_frame = true;
        new_modules.push_back("cand_frame.");
      }
      if (o.roi_margin >= 0) info.config.roi_margin = o.roi_margin;
      if (o.liver_reference_hu >= 0) info.config.liver_reference_hu = o.liver_reference_hu;
      // A pretrained text encoder replaces the checkpoint's unless the
      // checkpoint already is one with it (same vocabulary: a resumed run).
      const bool replace_text = pretrained && info.vocab != pretrained->vocab;
      // A resumable state without the frozen encoder gets it from the package.
      const bool restore_text = pretrained && !replace_text && !file.tensors.count("text.embeddings.word_embeddings.weight");
      if (restore_text) new_modules.insert(new_modules.end(), kPretrainedTextPrefixes.begin(), kPretrainedTextPrefixes.end());
      if (replace_text) {
        ApplyPretrainedText(*pretrained, &info.config);
        info.vocab = pretrained->vocab;
        for (auto it = file.tensors.begin(); it != file.tensors.end();) {
          it = absl::StartsWith(it->first, "text.") ? file.tensors.erase(it) : std::next(it);
        }
        new_modules.push_back("text.");
      }
      const int file_windows = static_cast<int>(info.config.windows.size());
      LSMS_ASSIGN_OR_RETURN(info.config.windows, AppendWindows(info.config.windows, o.add_windows));
      torch::manual_seed(o.seed);
      net = LsmsNet(info.config);
      auto loaded = LoadWeightsAddingWindows(file, *net, file_windows,
                                             static_cast<int>(info.config.windows.size()) - file_windows,
                                             new_modules);
      if (!loaded.ok()) return absl::InvalidArgumentError(absl::StrCat(init, ": ", loaded.message()));
      if (replace_text || restore_text) {
        LSMS_ASSIGN_OR_RETURN(SafetensorsFile bert, SafetensorsFile::Load(pretrained->weights_path));
        LSMS_RETURN_IF_ERROR(LoadBertWeights(bert, *net->text));
      }
      if (replace_text) absl::StrAppend(&info.provenance.version, "+", pretrained->name);
    } else {
      LSMS_ASSIGN_OR_RETURN(info.config, ModelConfig::FromPreset(o.preset));
      if (o.input_size > 0) info.config.input_size = o.input_size;
      if (o.refine_channels >= 0) info.config.refine_channels = o.refine_channels;
      if (o.candidate_relation_heads >= 0) info.config.candidate_relation_heads = o.candidate_relation_heads;
      if (o.candidate_liver_frame >= 0) info.config.candidate_liver_frame = o.candidate_liver_frame == 1;
      if (o.roi_margin >= 0) info.config.roi_margin = o.roi_margin;
      if (o.liver_reference_hu >= 0) info.config.liver_reference_hu = o.liver_reference_hu;
      LSMS_ASSIGN_OR_RETURN(info.config.windows, AppendWindows(info.config.windows, o.add_windows));
      if (pretrained) {
        ApplyPretrainedText(*pretrained, &info.config);
        info.vocab = pretrained->vocab;
      } else {
        const std::string first_manifest = o.manifest.substr(0, o.manifest.find(','));
        const std::string vocab_path =
            o.vocab.empty() ? (fs::path(first_manifest).parent_path() / "vocab.txt").string() : o.vocab;
        LSMS_ASSIGN_OR_RETURN(info.vocab, ReadFile(vocab_path));
        LSMS_ASSIGN_OR_RETURN(auto tok, Tokenizer::FromVocabText(info.vocab));
        info.config.vocab_size = tok->vocab_size();
      }
      torch::manual_seed(o.seed);
      net = LsmsNet(info.config);
      if (pretrained) {
        LSMS_ASSIGN_OR_RETURN(SafetensorsFile bert, SafetensorsFile::Load(pretrained->weights_path));
        LSMS_RETURN_IF_ERROR(LoadBertWeights(bert, *net->text));
      } else if (!o.bert_safetensors.empty()) {
        LSMS_ASSIGN_OR_RETURN(SafetensorsFile bert, SafetensorsFile::Load(o.bert_safetensors));
        LSMS_RETURN_IF_ERROR(LoadBertWeights(bert, *net->text));
      }
      info.provenance.version = absl::StrCat(info.config.preset, "-s", o.seed);
    }
    info.provenance.data = absl::StrCat("manifest ", o.manifest);
    if (!o.val_manifest.empty()) absl::StrAppend(&info.provenance.data, "; validation ", o.val_manifest);
    LSMS_ASSIGN_OR_RETURN(auto tok, Tokenizer::FromVocabText(info.vocab));
    std::cerr << "lsms-train: loading data...\n";
    // Validation sees what pass 2 sees: liver regions (from the true liver).
    LoadOptions train_load{o.manifest, "train", 0, false, info.config.roi_margin, o.whole_every};
    train_load.keep_original_masks = false;  // training scores on the model grid only
    train_load.refuse_held_out = true;
    LoadOptions val_load{o.val_manifest.empty() ? o.manifest : o.val_manifest, "val",
                         static_cast<size_t>(o.val_images), false, info.config.roi_margin, 0};
    val_load.keep_original_masks = false;
    val_load.refuse_held_out = true;
    LSMS_ASSIGN_OR_RETURN(Dataset train, LoadDatasets(train_load, info.config));
    LSMS_ASSIGN_OR_RETURN(Dataset val, LoadDatasets(val_load, info.config));
    std::cerr << "lsms-train: " << train.images.size() << " train images, " << train.samples.size()
              << " expressions; " << val.samples.size() << " val expressions\n";
    if (pretrained) net->text->FreezePretrained();
    // Before the optimizer is made: it holds the parameters as they are then.
    net->to(device);
    std::cerr << "lsms-train: training on " << device.str() << "\n";
    ModelConfig config = info.config;  // copied before `info` is moved below
    Trainer t(o, device, std::move(config), std::move(tok), net, std::move(train), std::move(val), std::move(info));
    return t.Run();
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("torch: ", e.what_without_backtrace()));
  }
}

}  // namespace lsms::train
