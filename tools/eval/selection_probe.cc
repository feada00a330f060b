#include "tools/eval/selection_probe.h"

#include <set>

#include <torch/torch.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "model/checkpoint.h"
#include "model/tokenizer.h"
#include "tools/eval/selection.h"
#include "tools/train/dataset_tensors.h"

namespace lsms::eval {
namespace {

std::vector<uint8_t> ToBytes(const torch::Tensor& mask) {
  auto m = (mask > 0.5).to(torch::kUInt8).contiguous();
  return std::vector<uint8_t>(m.data_ptr<uint8_t>(), m.data_ptr<uint8_t>() + m.numel());
}

}  // namespace

absl::StatusOr<std::map<std::string, SelectionProbeRow>> ProbeSelection(const std::string& checkpoint,
                                                                        const Calibration& calibration,
                                                                        const train::Dataset& ds, int batch) {
  LSMS_ASSIGN_OR_RETURN(LoadedCheckpoint ckpt, LoadCheckpoint(checkpoint));
  LSMS_RETURN_IF_ERROR(ApplyCalibration(calibration, &ckpt.info.config));
  LSMS_RETURN_IF_ERROR(ApplyCalibration(calibration, &ckpt.net->config));
  const ModelConfig& c = ckpt.info.config;
  if (!c.selection_head) return absl::FailedPreconditionError(absl::StrCat(checkpoint, " has no selection head"));
  LSMS_ASSIGN_OR_RETURN(auto tok, Tokenizer::FromVocabText(ckpt.info.vocab));
  std::map<std::string, SelectionProbeRow> rows;
  try {
    auto& net = ckpt.net;
    net->eval();
    torch::NoGradGuard no_grad;
    const int64_t s = c.input_size, k = c.max_candidates;
    std::vector<size_t> todo;
    for (size_t i = 0; i < ds.samples.size(); ++i) {
      if (!ds.samples[i].targets.empty()) todo.push_back(i);
    }
    for (size_t start = 0; start < todo.size(); start += static_cast<size_t>(batch)) {
      const size_t end = std::min(todo.size(), start + static_cast<size_t>(batch));
      const std::vector<size_t> batch_samples(todo.begin() + static_cast<std::ptrdiff_t>(start),
                                              todo.begin() + static_cast<std::ptrdiff_t>(end));
      NetInputs in = train::SampleInputs(ds, batch_samples, *tok, c);
      std::vector<torch::Tensor> insts, valids;
      for (size_t i : batch_samples) {
        auto [inst, valid] = train::InstanceTensors(ds.images[ds.samples[i].image], c);
        insts.push_back(inst);
        valids.push_back(valid);
      }
      auto out = net->forward(in);
      auto [own, own_valid] = ExtractCandidates(torch::sigmoid(out.all_logits), c.candidate_threshold, k, 3);
      NetInputs with_own = in, with_true = in;
      with_own.candidates = own;
      with_own.candidate_valid = own_valid;
      with_true.candidates = torch::stack(insts);
      with_true.candidate_valid = torch::stack(valids);
      auto sel_own = (torch::sigmoid(net->ScoreCandidates(out, with_own)) >= 0.5) * (own_valid > 0);
      auto sel_true = (torch::sigmoid(net->ScoreCandidates(out, with_true)) >= 0.5) * (with_true.candidate_valid > 0);
      for (size_t j = start; j < end; ++j) {
        const int64_t b = static_cast<int64_t>(j - start);
        const auto& smp = ds.samples[todo[j]];
        const auto& img = ds.images[smp.image];
        // Lesion labels on the view's grid, from its instances.
        std::vector<uint8_t> labels(static_cast<size_t>(s * s), 0);
        std::set<int> true_selected;
        for (size_t l = 0; l < img.instances.size(); ++l) {
          for (size_t p = 0; p < labels.size(); ++p) {
            if (img.instances[l][p]) labels[p] = static_cast<uint8_t>(img.instance_ids[l]);
          }
          if (static_cast<int64_t>(l) < k && sel_true[b][static_cast<int64_t>(l)].item<bool>()) {
            true_selected.insert(img.instance_ids[l]);
          }
        }
        std::vector<std::vector<uint8_t>> chosen;
        for (int64_t q = 0; q < k; ++q) {
          if (sel_own[b][q].item<bool>()) chosen.push_back(ToBytes(own[b][q]));
        }
        const CandidateReading read = ReadCandidates(chosen, labels);
        const std::set<int> targets(smp.targets.begin(), smp.targets.end());
        for (const std::string& key : {std::string(), smp.kind}) {
          SelectionProbeRow& r = rows[key];
          ++r.n;
          r.exact_own += read.lesions == targets;
          r.exact_true += true_selected == targets;
          r.spurious_selected += read.spurious;
        }
      }
    }
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("selection probe: ", e.what_without_backtrace()));
  }
  return rows;
}

std::string SelectionProbeMarkdown(const std::map<std::string, SelectionProbeRow>& rows) {
  std::string md =
      "| kind | n | exact, own candidates | exact, true instances | spurious blobs selected |\n"
      "|---|---|---|---|---|\n";
  for (const auto& [kind, r] : rows) {
    if (r.n == 0) continue;
    absl::StrAppendFormat(&md, "| %s | %d | %.3f | %.3f | %d |\n", kind.empty() ? "all" : kind, r.n,
                          static_cast<double>(r.exact_own) / r.n, static_cast<double>(r.exact_true) / r.n,
                          r.spurious_selected);
  }
  return md;
}

}  // namespace lsms::eval
