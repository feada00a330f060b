#include "tools/eval/selection.h"

#include <set>

#include "absl/strings/str_format.h"

namespace lsms::eval {
namespace {
constexpr Selection kAll[] = {Selection::kExact, Selection::kMissed, Selection::kExtra, Selection::kWrong};
}  // namespace

const char* SelectionName(Selection s) {
  switch (s) {
    case Selection::kExact: return "exact";
    case Selection::kMissed: return "missed_target";
    case Selection::kExtra: return "extra_lesion";
    case Selection::kWrong: return "missed_and_extra";
  }
  return "?";
}

std::map<int, std::pair<uint64_t, uint64_t>> LesionCoverage(const std::vector<uint8_t>& prediction,
                                                            const std::vector<uint8_t>& labels) {
  std::map<int, std::pair<uint64_t, uint64_t>> hit;  // id → (predicted, total)
  for (size_t i = 0; i < labels.size() && i < prediction.size(); ++i) {
    if (labels[i] == 0) continue;
    auto& h = hit[labels[i]];
    h.first += prediction[i] != 0;
    ++h.second;
  }
  return hit;
}

Selection Classify(const std::vector<uint8_t>& prediction, const std::vector<uint8_t>& labels,
                   const std::vector<int>& targets, double coverage) {
  const auto hit = LesionCoverage(prediction, labels);
  const std::set<int> wanted(targets.begin(), targets.end());
  bool missed = false, extra = false;
  for (const auto& [id, h] : hit) {
    const bool selected = static_cast<double>(h.first) >= coverage * static_cast<double>(h.second);
    if (wanted.count(id) && !selected) missed = true;
    if (!wanted.count(id) && selected) extra = true;
  }
  for (int t : wanted) missed = missed || !hit.count(t);  // a target absent from the labels
  if (missed && extra) return Selection::kWrong;
  if (missed) return Selection::kMissed;
  if (extra) return Selection::kExtra;
  return Selection::kExact;
}

CandidateReading ReadCandidates(const std::vector<std::vector<uint8_t>>& candidates,
                                const std::vector<uint8_t>& labels) {
  CandidateReading r;
  for (const auto& c : candidates) {
    std::map<int, uint64_t> votes;
    uint64_t area = 0;
    for (size_t i = 0; i < c.size() && i < labels.size(); ++i) {
      if (!c[i]) continue;
      ++area;
      if (labels[i]) ++votes[labels[i]];
    }
    int best = 0;
    uint64_t best_votes = 0;
    for (const auto& [id, v] : votes) {
      if (v > best_votes) {
        best = id;
        best_votes = v;
      }
    }
    if (best != 0 && 2 * best_votes > area) {
      r.lesions.insert(best);
    } else {
      ++r.spurious;
    }
  }
  return r;
}

void SelectionAccumulator::Add(const std::string& kind, Selection s) {
  ++by_kind_[""][s];
  ++by_kind_[kind][s];
}

nlohmann::json SelectionAccumulator::ToJson() const {
  nlohmann::json j;
  for (const auto& [kind, counts] : by_kind_) {
    nlohmann::json k;
    for (Selection s : kAll) k[SelectionName(s)] = counts.count(s) ? counts.at(s) : 0;
    j[kind.empty() ? "overall" : kind] = k;
  }
  return j;
}

std::string SelectionAccumulator::ToMarkdown() const {
  std::string md = "| kind | n | exact | missed a target | extra lesion | missed and extra |\n|---|---|---|---|---|---|\n";
  for (const auto& [kind, counts] : by_kind_) {
    int n = 0;
    for (const auto& [s, c] : counts) n += c;
    absl::StrAppendFormat(&md, "| %s | %d |", kind.empty() ? "all" : kind, n);
    for (Selection s : kAll) {
      const int c = counts.count(s) ? counts.at(s) : 0;
      absl::StrAppendFormat(&md, " %.3f |", n ? static_cast<double>(c) / n : 0.0);
    }
    md += "\n";
  }
  return md;
}

}  // namespace lsms::eval
