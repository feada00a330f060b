#include "model/checkpoint.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include <torch/torch.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"

namespace lsms {
namespace {

constexpr char kFormatKey[] = "lsms.format";
constexpr char kFormatVersion[] = "1";

TensorView ToView(const torch::Tensor& t, WeightPrecision precision) {
  TensorView v;
  auto c = t.detach().to(torch::kCPU).contiguous();
  v.shape.assign(c.sizes().begin(), c.sizes().end());
  if (c.scalar_type() == torch::kLong) {
    v.dtype = DType::kI64;
    v.bytes.assign(static_cast<const char*>(c.data_ptr()), c.numel() * 8);
    return v;
  }
  c = c.to(torch::kFloat32);
  const float* p = c.data_ptr<float>();
  if (precision == WeightPrecision::kF16) {
    v.dtype = DType::kF16;
    v.bytes.resize(c.numel() * 2);
    for (int64_t i = 0; i < c.numel(); ++i) {
      uint16_t h = FloatToHalf(p[i]);
      std::memcpy(&v.bytes[2 * i], &h, 2);
    }
  } else {
    v.dtype = DType::kF32;
    v.bytes.assign(reinterpret_cast<const char*>(p), c.numel() * 4);
  }
  return v;
}

absl::StatusOr<torch::Tensor> FromView(const TensorView& v) {
  if (v.dtype == DType::kI64) {
    auto t = torch::empty(v.shape, torch::kLong);
    std::memcpy(t.data_ptr(), v.bytes.data(), v.bytes.size());
    return t;
  }
  LSMS_ASSIGN_OR_RETURN(std::vector<float> f, v.ToFloat());
  auto t = torch::empty(v.shape, torch::kFloat32);
  std::memcpy(t.data_ptr(), f.data(), f.size() * 4);
  return t;
}

std::string ShapeString(c10::IntArrayRef s) { return absl::StrCat("[", absl::StrJoin(s, ","), "]"); }

// Copies `source` into the named tensors, strictly.
absl::Status CopyNamed(const std::map<std::string, TensorView>& source,
                       const std::vector<std::pair<std::string, torch::Tensor>>& targets,
                       const std::string& what, bool strict_unexpected) {
  std::vector<std::string> missing, mismatched;
  std::set<std::string> used;
  torch::NoGradGuard no_grad;
  for (const auto& [name, tensor] : targets) {
    auto it = source.find(name);
    if (it == source.end()) {
      missing.push_back(name);
      continue;
    }
    used.insert(name);
    std::vector<int64_t> want(tensor.sizes().begin(), tensor.sizes().end());
    if (it->second.shape != want) {
      mismatched.push_back(absl::StrCat(name, " (file ", ShapeString(it->second.shape), ", model ",
                                        ShapeString(tensor.sizes()), ")"));
      continue;
    }
    LSMS_ASSIGN_OR_RETURN(torch::Tensor t, FromView(it->second));
    tensor.copy_(t.to(tensor.dtype()));
  }
  std::vector<std::string> unexpected;
  if (strict_unexpected) {
    for (const auto& [name, v] : source) {
      if (!used.count(name)) unexpected.push_back(name);
    }
  }
  if (missing.empty() && mismatched.empty() && unexpected.empty()) return absl::OkStatus();
  std::string msg = absl::StrCat(what, " does not match the model:");
  if (!missing.empty()) absl::StrAppend(&msg, " missing tensors: ", absl::StrJoin(missing, ", "), ";");
  if (!mismatched.empty()) {
    absl::StrAppend(&msg, " mis-shaped tensors: ", absl::StrJoin(mismatched, ", "), ";");
  }
  if (!unexpected.empty()) {
    absl::StrAppend(&msg, " unexpected tensors: ", absl::StrJoin(unexpected, ", "), ";");
  }
  return absl::InvalidArgumentError(msg);
}

std::vector<std::pair<std::string, torch::Tensor>> NamedState(torch::nn::Module& net) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& p : net.named_parameters(true)) out.emplace_back(p.key(), p.value());
  for (const auto& b : net.named_buffers(true)) out.emplace_back(b.key(), b.value());
  return out;
}

// The tensors of `net` to load from `file`: all but those of modules the file
// predates (a name under one of `new_module_prefixes` that the file lacks).
std::vector<std::pair<std::string, torch::Tensor>> LoadTargets(
    const SafetensorsFile& file, torch::nn::Module& net, const std::vector<std::string>& new_module_prefixes) {
  auto targets = NamedState(net);
  auto is_new = [&](const std::string& name) {
    for (const auto& p : new_module_prefixes) {
      if (absl::StartsWith(name, p) && !file.tensors.count(name)) return true;
    }
    return false;
  };
  targets.erase(std::remove_if(targets.begin(), targets.end(),
                               [&](const auto& t) { return is_new(t.first); }),
                targets.end());
  return targets;
}

}  // namespace

absl::StatusOr<CheckpointInfo> ReadCheckpointInfo(const SafetensorsFile& file) {
  auto get = [&file](const std::string& key) -> absl::StatusOr<std::string> {
    auto it = file.metadata.find(key);
    if (it == file.metadata.end()) {
      return absl::InvalidArgumentError(absl::StrCat("not an LSMS checkpoint: no '", key, "'"));
    }
    return it->second;
  };
  LSMS_ASSIGN_OR_RETURN(std::string format, get(kFormatKey));
  if (format != kFormatVersion) {
    return absl::InvalidArgumentError(absl::StrCat("unsupported checkpoint format ", format));
  }
  CheckpointInfo info;
  LSMS_ASSIGN_OR_RETURN(std::string config, get("lsms.config"));
  LSMS_ASSIGN_OR_RETURN(info.config, ModelConfig::FromJson(config));
  LSMS_ASSIGN_OR_RETURN(info.vocab, get("lsms.vocab"));
  LSMS_ASSIGN_OR_RETURN(std::string prov, get("lsms.provenance"));
  LSMS_ASSIGN_OR_RETURN(info.provenance, Provenance::FromJson(prov));
  return info;
}

absl::Status SaveCheckpoint(const std::string& path, torch::nn::Module& net,
                            const CheckpointInfo& info, WeightPrecision precision,
                            const std::vector<std::string>& omit_prefixes) {
  SafetensorsFile file;
  for (const auto& [name, t] : NamedState(net)) {
    const bool omit = std::any_of(omit_prefixes.begin(), omit_prefixes.end(),
                                  [&name = name](const std::string& p) { return absl::StartsWith(name, p); });
    if (!omit) file.tensors[name] = ToView(t, precision);
  }
  file.metadata[kFormatKey] = kFormatVersion;
  file.metadata["lsms.config"] = info.config.ToJson();
  file.metadata["lsms.vocab"] = info.vocab;
  file.metadata["lsms.provenance"] = info.provenance.ToJson();
  return file.Save(path);
}

absl::Status LoadWeights(const SafetensorsFile& file, torch::nn::Module& net,
                         const std::vector<std::string>& new_module_prefixes) {
  return CopyNamed(file.tensors, LoadTargets(file, net, new_module_prefixes), "checkpoint",
                   /*strict_unexpected=*/true);
}

absl::Status LoadWeightsAddingWindows(const SafetensorsFile& file, torch::nn::Module& net,
                                      int file_windows, int added_windows,
                                      const std::vector<std::string>& new_module_prefixes) {
  if (added_windows <= 0) return LoadWeights(file, net, new_module_prefixes);
  // Only the convolutions that read the image differ from the file, and only in
  // their input channels; everything else must match as strictly as ever.
  std::map<std::string, TensorView> rest = file.tensors;
  std::vector<std::pair<std::string, torch::Tensor>> plain, widened;
  for (auto& [name, t] : LoadTargets(file, net, new_module_prefixes)) {
    auto it = file.tensors.find(name);
    const bool wider = it != file.tensors.end() && t.dim() == 4 && it->second.shape.size() == 4 &&
                       it->second.shape[0] == t.size(0) && it->second.shape[1] + added_windows == t.size(1) &&
                       it->second.shape[1] >= file_windows && it->second.shape[2] == t.size(2) &&
                       it->second.shape[3] == t.size(3);
    if (wider) {
      widened.emplace_back(name, t);
      rest.erase(name);
    } else {
      plain.emplace_back(name, t);
    }
  }
  if (widened.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "checkpoint: no convolution reads ", file_windows, " windows where the model reads ",
        file_windows + added_windows));
  }
  LSMS_RETURN_IF_ERROR(CopyNamed(rest, plain, "checkpoint", /*strict_unexpected=*/true));
  torch::NoGradGuard no_grad;
  for (auto& [name, t] : widened) {
    LSMS_ASSIGN_OR_RETURN(torch::Tensor old, FromView(file.tensors.at(name)));
    old = old.to(t.dtype());
    t.zero_();
    t.narrow(1, 0, file_windows).copy_(old.narrow(1, 0, file_windows));
    // Channels after the windows (the stem's coordinates) keep their weights.
    const int64_t after = old.size(1) - file_windows;
    if (after > 0) t.narrow(1, file_windows + added_windows, after).copy_(old.narrow(1, file_windows, after));
  }
  return absl::OkStatus();
}

absl::StatusOr<LoadedCheckpoint> LoadCheckpoint(const std::string& path) {
  LSMS_ASSIGN_OR_RETURN(SafetensorsFile file, SafetensorsFile::Load(path));
  LoadedCheckpoint out;
  LSMS_ASSIGN_OR_RETURN(out.info, ReadCheckpointInfo(file));
  try {
    out.net = LsmsNet(out.info.config);
    auto status = LoadWeights(file, *out.net);
    if (!status.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", status.message()));
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("building the model of ", path, ": ", e.what_without_backtrace()));
  }
  out.net->eval();
  return out;
}

absl::Status LoadBertWeights(const SafetensorsFile& file, TextEncoderImpl& text) {
  std::map<std::string, TensorView> source;
  for (const auto& [name, v] : file.tensors) {
    std::string n = name;
    if (absl::StartsWith(n, "bert.")) n = n.substr(5);
    if (absl::StartsWith(n, "pooler.") || absl::StartsWith(n, "cls.") ||
        n == "embeddings.position_ids") {
      continue;
    }
    // Old TF-converted checkpoints name LayerNorm parameters gamma/beta.
    if (absl::EndsWith(n, "LayerNorm.gamma")) n = n.substr(0, n.size() - 5) + "weight";
    if (absl::EndsWith(n, "LayerNorm.beta")) n = n.substr(0, n.size() - 4) + "bias";
    source[n] = v;
  }
  std::vector<std::pair<std::string, torch::Tensor>> targets;
  for (const auto& p : text.named_parameters(true)) {
    if (!absl::StartsWith(p.key(), "proj.")) targets.emplace_back(p.key(), p.value());  // ours, not BERT's
  }
  return CopyNamed(source, targets, "BERT safetensors", /*strict_unexpected=*/false);
}

}  // namespace lsms
