// Referring expressions for a Phantom, from a small grammar with synonyms.
// Each expression has a kind and the exact set of lesion ids it refers to
// (empty = no target). Meanings:
//   size_rank   "largest"/"smallest"/"second largest" by lesion area, optionally
//               among lesions of one attenuation; only when the rank is clear
//               (areas differ by ≥ 20 %).
//   location    lobe (radiological convention: right lobe = image left),
//               anterior/posterior relative to the liver centroid (≥ 10 mm),
//               near the hilum / near the dome = nearest / farthest from the
//               hilum (≥ 15 mm margin). Plural forms refer to every match.
//   size_approx "about N cm": the only lesion whose diameter rounds to N cm
//               and no other lesion within 1 cm.
//   attenuation hypodense / hyperdense / rim-enhancing (all lesions of it).
//   count       "both lesions" (exactly two), "all lesions" (the union).
//   no_target   an attribute, place or rank that matches nothing.
//   other_organ a question about another organ's lesion (extended grammar
//               only; the answer is no target: the model segments liver
//               lesions).
// Phrasing: the legacy grammar (the benchmark's), or the extended grammar of
// lexicon.h — its seen part for training, its held-out part (at least one
// held-out word or template per expression) for evaluation, or a mix.
#ifndef LSMS_TOOLS_SYNTH_EXPRESSION_GRAMMAR_H_
#define LSMS_TOOLS_SYNTH_EXPRESSION_GRAMMAR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

#include "tools/synth/phantom.h"

namespace lsms::synth {

struct Expression {
  std::string text;
  std::string kind;
  std::vector<int> targets;  // sorted lesion ids
  bool held_out = false;     // uses held-out phrasing
};

enum class Phrasing { kLegacy, kSeen, kHeldOut, kMixed };
const char* PhrasingName(Phrasing p);  // "legacy", "seen", "held_out", "mixed"
absl::StatusOr<Phrasing> ParsePhrasing(const std::string& name);

// Every kind the grammar knows.
const std::vector<std::string>& ExpressionKinds();

// All valid expressions of the phantom (one phrasing each, drawn from the rng).
std::vector<Expression> AllExpressions(const Phantom& p, uint64_t seed,
                                       Phrasing phrasing = Phrasing::kLegacy);

// Up to `count` expressions, balanced over kinds (comparison kinds first).
std::vector<Expression> SampleExpressions(const Phantom& p, uint64_t seed, int count,
                                          Phrasing phrasing = Phrasing::kLegacy);

// Words a horizontal flip must swap ("right" <-> "left").
std::string SwapLeftRight(const std::string& text);

// Every word the grammar can produce under `phrasing` (kSeen: no held-out
// word), for building a vocabulary.
std::vector<std::string> GrammarCorpus(Phrasing phrasing = Phrasing::kLegacy);

}  // namespace lsms::synth

#endif  // LSMS_TOOLS_SYNTH_EXPRESSION_GRAMMAR_H_
