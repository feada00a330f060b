// Probes the referring selection head alone (docs/model.md): for every
// expression with a target, whether the lesions it selects (selection
// probability ≥ 0.5; the target-present gate ignored) are exactly the
// targets — once with the candidates inference makes (connected components
// of the model's own all-lesions map) and once with the true lesion
// instances. The gap between the two is what imperfect candidates cost; the
// true-instance figure is the head's own reading of the words.
//
// Runs the model on the dataset's views as loaded (lsms-eval loads them as
// the second pass sees them: ground-truth liver regions). Torch-free header.
#ifndef LSMS_TOOLS_EVAL_SELECTION_PROBE_H_
#define LSMS_TOOLS_EVAL_SELECTION_PROBE_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "tools/train/dataset.h"

namespace lsms::eval {

struct SelectionProbeRow {
  int n = 0;                 // expressions with a target
  int exact_own = 0;         // exact with the model's own candidates
  int exact_true = 0;        // exact with the true instances
  int spurious_selected = 0;  // own candidates selected that are no lesion
};

// By expression kind, plus "" for all. Needs a checkpoint with the selection
// head and a dataset with lesion instances; `calibration` overrides the
// checkpoint's decision settings as in Segmenter::Options.
absl::StatusOr<std::map<std::string, SelectionProbeRow>> ProbeSelection(const std::string& checkpoint,
                                                                        const Calibration& calibration,
                                                                        const train::Dataset& ds,
                                                                        int batch = 8);

// Markdown table: kind, n, exact with own candidates, exact with true instances, spurious.
std::string SelectionProbeMarkdown(const std::map<std::string, SelectionProbeRow>& rows);

}  // namespace lsms::eval

#endif  // LSMS_TOOLS_EVAL_SELECTION_PROBE_H_
