// lsms-ood's own referring expressions: phrasing written independently of
// lsms-synth's grammar (its own templates and word choices, as a clinician
// might type them), with the same meanings: size rank by area (clear ranks
// only: ≥ 25 % apart), liver lobe, attenuation relative to the liver, counts,
// and "no target" for an absent kind, a missing lobe, an impossible rank, a
// slice without liver or another organ's lesion.
#ifndef LSMS_TOOLS_OOD_OOD_EXPRESSIONS_H_
#define LSMS_TOOLS_OOD_OOD_EXPRESSIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "tools/ood/ood_phantom.h"

namespace lsms::ood {

struct OodExpression {
  std::string text;
  std::string kind;          // size_rank, location, attenuation, count, no_target, other_organ
  std::vector<int> targets;  // lesion labels, sorted; empty = no target
};

std::vector<OodExpression> OodExpressions(const OodSlice& slice, uint64_t seed, int max_count);

}  // namespace lsms::ood

#endif  // LSMS_TOOLS_OOD_OOD_EXPRESSIONS_H_
