// Target-lesion recall of referring masks, by lesion size and attenuation:
// of every lesion an expression refers to, the share the predicted mask
// selected (at least half of its pixels predicted). Separates "too small to
// see at the model's resolution" from "seen but not chosen": a recall that
// falls with the diameter is a resolution problem. Torch-free.
#ifndef LSMS_TOOLS_EVAL_LESION_RECALL_H_
#define LSMS_TOOLS_EVAL_LESION_RECALL_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lsms::eval {

// What the manifest says of one lesion ("lesions" array of lsms-synth).
struct LesionFacts {
  int id = 0;
  double diameter_mm = 0;    // in-slice equivalent diameter
  std::string attenuation;   // "hypodense", "hyperdense", "rim-enhancing", or ""
};

// Diameter bins of the report, in mm: [0,6), [6,10), [10,15), [15,25), [25,∞).
std::string DiameterBin(double diameter_mm);

class LesionRecall {
 public:
  // Counts each target of one expression (of `kind`) as found or missed.
  // `labels`: lesion id per pixel on the grid of `prediction`. Targets
  // without facts count under "unknown". The "count" kind ("all lesions")
  // isolates detection: every lesion is a target.
  void Add(const std::string& kind, const std::vector<uint8_t>& prediction, const std::vector<uint8_t>& labels,
           const std::vector<int>& targets, const std::vector<LesionFacts>& lesions,
           double coverage = 0.5);

  // {"by_diameter": {bin: {"targets": n, "found": m}}, "by_attenuation": {...},
  //  "by_kind": {...}}
  nlohmann::json ToJson() const;
  // Markdown tables (by diameter, by attenuation, by kind): targets, found, recall.
  std::string ToMarkdown() const;

 private:
  struct Count {
    int targets = 0, found = 0;
  };
  std::map<std::string, Count> by_diameter_, by_attenuation_, by_kind_;
};

}  // namespace lsms::eval

#endif  // LSMS_TOOLS_EVAL_LESION_RECALL_H_
