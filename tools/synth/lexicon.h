// The words and sentence templates of lsms-synth's expression grammar.
// Every slot lists the legacy words first (the benchmark's grammar, kept so
// that its seeds give the same expressions), then the extended vocabulary:
// synonyms, British and American spellings, fillers and question forms. Each
// extended word and template is either *seen* (training data may use it) or
// *held out* (only evaluation sets use it), so that evaluation can measure
// phrasing the model never trained on.
#ifndef LSMS_TOOLS_SYNTH_LEXICON_H_
#define LSMS_TOOLS_SYNTH_LEXICON_H_

#include <string>
#include <vector>

namespace lsms::synth {

enum class Origin { kLegacy, kSeen, kHeldOut };

struct Word {
  std::string text;
  Origin origin = Origin::kLegacy;
};
using Slot = std::vector<Word>;

struct NounPair {
  std::string singular, plural;
  Origin origin = Origin::kLegacy;
};

struct Lexicon {
  std::vector<NounPair> nouns;
  Slot verbs;        // "" or "segment " (prefix with its space)
  Slot hypodense, hyperdense, rim_enhancing;
  Slot largest, smallest, second_largest;
  Slot right_lobe, left_lobe, anterior, posterior, hilum, dome;
  Slot about, centimetres, millimetres, measuring;
  Slot both, all;
  Slot other_organ;  // questions about other organs (the answer is no target)
  Slot past_participles;  // "segmented", for "i would like the X segmented"
};

// The one lexicon (static storage).
const Lexicon& TheLexicon();

// Sentence templates wrapped around a noun phrase ("the largest lesion").
enum class Template {
  kVerb,          // "{verb}{np}"                     legacy
  kPlease,        // "please {verb} {np}"             seen
  kBare,          // "{np without the}"               seen
  kCanYou,        // "can you {verb} {np}?"           seen
  kWhere,         // "where is/are {np}?"             held out
  kWouldLike,     // "i would like {np} {segmented}"  held out
  kTrailingPlease,// "{np without the}, please"       held out
  kCouldYou,      // "could you kindly {verb} {np}"   held out
};
Origin TemplateOrigin(Template t);
const std::vector<Template>& AllTemplates();

// Every held-out word and noun form, trimmed ("liver nodule", "draw"): a
// held-out entry may be new only as a combination of seen words.
std::vector<std::string> HeldOutPhrases();

// Words that occur only in held-out entries (template words included), for
// checking that training text never contains them.
std::vector<std::string> HeldOutOnlyWords();

}  // namespace lsms::synth

#endif  // LSMS_TOOLS_SYNTH_LEXICON_H_
