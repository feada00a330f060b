// Lesion-level error analysis of referring masks: which lesions a predicted
// mask selected, against the expression's target lesions. Pixel metrics say
// how much is wrong; this says what kind of wrong — a missed target, an extra
// lesion, or both (the wrong lesion) — which is what separates a resolution
// problem from a reading problem. Torch-free; pure functions.
#ifndef LSMS_TOOLS_EVAL_SELECTION_H_
#define LSMS_TOOLS_EVAL_SELECTION_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lsms::eval {

enum class Selection {
  kExact,    // selected exactly the target lesions (none for a no-target expression)
  kMissed,   // a subset: one or more targets not selected, nothing extra
  kExtra,    // a superset: every target, plus other lesions
  kWrong,    // both missed targets and extra lesions
};

const char* SelectionName(Selection s);

// Per lesion id of `labels` (0 = background excluded): {predicted pixels,
// pixels}. `prediction` and `labels` share one grid.
std::map<int, std::pair<uint64_t, uint64_t>> LesionCoverage(const std::vector<uint8_t>& prediction,
                                                            const std::vector<uint8_t>& labels);

// `labels`: lesion id per pixel (0 = background), the same grid as
// `prediction`. A lesion counts as selected when at least `coverage` of its
// pixels are predicted.
Selection Classify(const std::vector<uint8_t>& prediction, const std::vector<uint8_t>& labels,
                   const std::vector<int>& targets, double coverage = 0.5);

// What a set of selected candidate masks stands for, against `labels`
// (lesion id per pixel, same grid): each candidate is the lesion that covers
// more than half of its pixels, or else a spurious blob (a vessel, a
// fragment of background).
struct CandidateReading {
  std::set<int> lesions;
  int spurious = 0;
};
CandidateReading ReadCandidates(const std::vector<std::vector<uint8_t>>& candidates,
                                const std::vector<uint8_t>& labels);

// Counts of each outcome, overall and by expression kind.
class SelectionAccumulator {
 public:
  void Add(const std::string& kind, Selection s);
  nlohmann::json ToJson() const;
  // A Markdown table: kind, n, then the share of each outcome.
  std::string ToMarkdown() const;

 private:
  std::map<std::string, std::map<Selection, int>> by_kind_;  // "" = overall
};

}  // namespace lsms::eval

#endif  // LSMS_TOOLS_EVAL_SELECTION_H_
