// Referring-segmentation metrics (as in LAVT/SLViT, plus Dice): per-sample IoU
// and Dice, mIoU, mean Dice, oIoU (cumulative intersection / cumulative
// union), precision@{0.5..0.9}, no-target accuracy, by expression kind.
// An empty prediction for an empty target scores IoU = Dice = 1.
#ifndef LSMS_TOOLS_EVAL_METRICS_H_
#define LSMS_TOOLS_EVAL_METRICS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lsms::eval {

struct SampleScore {
  double iou = 0, dice = 0;
  uint64_t intersection = 0, uni = 0;
  bool target_empty = false, prediction_empty = false;
};

SampleScore Score(const std::vector<uint8_t>& prediction, const std::vector<uint8_t>& target);

struct Summary {
  int n = 0;
  double miou = 0, mdice = 0, oiou = 0;
  std::map<std::string, double> precision;  // "P@0.5" …
  int no_target_n = 0;
  double no_target_accuracy = 0;  // NaN-free: 0 when no_target_n == 0

  nlohmann::json ToJson() const;
};

class MetricAccumulator {
 public:
  void Add(const std::string& kind, const SampleScore& s);
  Summary Overall() const { return Summarize(all_); }
  std::map<std::string, Summary> ByKind() const;

 private:
  static Summary Summarize(const std::vector<SampleScore>& s);
  std::vector<SampleScore> all_;
  std::map<std::string, std::vector<SampleScore>> by_kind_;
};

// A Markdown table of `model` by group value (ByKind of an accumulator keyed
// by phase, phrasing…), beside the text-blind oracle and the empty-expression
// ablation when given (null: "–").
std::string GroupMarkdown(const std::string& title, const MetricAccumulator& model, const MetricAccumulator* oracle,
                          const MetricAccumulator* empty);

}  // namespace lsms::eval

#endif  // LSMS_TOOLS_EVAL_METRICS_H_
