#include "tools/eval/metrics.h"

#include "absl/strings/str_format.h"

namespace lsms::eval {

SampleScore Score(const std::vector<uint8_t>& p, const std::vector<uint8_t>& t) {
  SampleScore s;
  uint64_t np = 0, nt = 0;
  for (size_t i = 0; i < p.size() && i < t.size(); ++i) {
    const bool a = p[i] != 0, b = t[i] != 0;
    np += a;
    nt += b;
    s.intersection += a && b;
    s.uni += a || b;
  }
  s.target_empty = nt == 0;
  s.prediction_empty = np == 0;
  s.iou = s.uni == 0 ? 1.0 : static_cast<double>(s.intersection) / s.uni;
  s.dice = np + nt == 0 ? 1.0 : 2.0 * s.intersection / static_cast<double>(np + nt);
  return s;
}

void MetricAccumulator::Add(const std::string& kind, const SampleScore& s) {
  all_.push_back(s);
  by_kind_[kind].push_back(s);
}

std::map<std::string, Summary> MetricAccumulator::ByKind() const {
  std::map<std::string, Summary> out;
  for (const auto& [k, v] : by_kind_) out[k] = Summarize(v);
  return out;
}

Summary MetricAccumulator::Summarize(const std::vector<SampleScore>& scores) {
  Summary s;
  s.n = static_cast<int>(scores.size());
  if (scores.empty()) return s;
  uint64_t ci = 0, cu = 0;
  int nt_ok = 0;
  const double thresholds[] = {0.5, 0.6, 0.7, 0.8, 0.9};
  std::map<double, int> hits;
  for (const auto& x : scores) {
    s.miou += x.iou;
    s.mdice += x.dice;
    ci += x.intersection;
    cu += x.uni;
    for (double t : thresholds) hits[t] += x.iou >= t;
    if (x.target_empty) {
      ++s.no_target_n;
      nt_ok += x.prediction_empty;
    }
  }
  s.miou /= s.n;
  s.mdice /= s.n;
  s.oiou = cu == 0 ? 1.0 : static_cast<double>(ci) / cu;
  for (double t : thresholds) s.precision[absl::StrFormat("P@%.1f", t)] = static_cast<double>(hits[t]) / s.n;
  s.no_target_accuracy = s.no_target_n ? static_cast<double>(nt_ok) / s.no_target_n : 0.0;
  return s;
}

nlohmann::json Summary::ToJson() const {
  nlohmann::json j = {{"n", n}, {"mIoU", miou}, {"mDice", mdice}, {"oIoU", oiou}, {"no_target_n", no_target_n},
                      {"no_target_accuracy", no_target_accuracy}};
  for (const auto& [k, v] : precision) j[k] = v;
  return j;
}

std::string GroupMarkdown(const std::string& title, const MetricAccumulator& model, const MetricAccumulator* oracle,
                          const MetricAccumulator* empty) {
  std::string md = absl::StrFormat(
      "| %s | n | mIoU | P@0.5 | no-target acc. (n) | oracle mIoU | empty-expr. mIoU |\n|---|---|---|---|---|---|---|\n",
      title);
  const auto o = oracle ? oracle->ByKind() : std::map<std::string, Summary>{};
  const auto e = empty ? empty->ByKind() : std::map<std::string, Summary>{};
  for (const auto& [k, s] : model.ByKind()) {
    auto cell = [&k = k](const std::map<std::string, Summary>& m) {
      auto it = m.find(k);
      return it == m.end() ? std::string("–") : absl::StrFormat("%.3f", it->second.miou);
    };
    absl::StrAppendFormat(&md, "| %s | %d | %.3f | %.3f | %s | %s | %s |\n", k, s.n, s.miou,
                          s.precision.count("P@0.5") ? s.precision.at("P@0.5") : 0.0,
                          s.no_target_n ? absl::StrFormat("%.3f (%d)", s.no_target_accuracy, s.no_target_n) : "–",
                          cell(o), cell(e));
  }
  return md;
}

}  // namespace lsms::eval
