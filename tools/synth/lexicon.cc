#include "tools/synth/lexicon.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace lsms::synth {
namespace {

constexpr Origin L = Origin::kLegacy, S = Origin::kSeen, H = Origin::kHeldOut;

Lexicon Build() {
  Lexicon x;
  x.nouns = {{"lesion", "lesions", L},           {"mass", "masses", L},
             {"nodule", "nodules", L},           {"tumor", "tumors", L},
             {"focus", "foci", L},               {"hepatic lesion", "hepatic lesions", L},
             {"liver lesion", "liver lesions", L}, {"tumour", "tumours", S},
             {"abnormality", "abnormalities", S}, {"liver mass", "liver masses", S},
             {"metastasis", "metastases", H},    {"hepatic tumour", "hepatic tumours", H},
             {"focal lesion", "focal lesions", H}, {"liver nodule", "liver nodules", H}};
  x.verbs = {{"", L},         {"", L},          {"segment ", L}, {"find ", L},   {"show ", L},
             {"outline ", L}, {"delineate ", L}, {"highlight ", L}, {"mark ", S}, {"localize ", S},
             {"contour ", S}, {"localise ", H}, {"annotate ", H}, {"draw ", H},   {"identify ", H}};
  x.hypodense = {{"hypodense", L},    {"low-attenuation", L}, {"hypoattenuating", L}, {"darker", L},
                 {"low-density", L},  {"low density", S},     {"dark", S},            {"hypo-dense", H},
                 {"low attenuation", H}, {"less dense", H}};
  x.hyperdense = {{"hyperdense", L},    {"high-attenuation", L}, {"hyperattenuating", L}, {"brighter", L},
                  {"high-density", L},  {"high density", S},     {"bright", S},           {"hyper-dense", H},
                  {"high attenuation", H}, {"denser", H}};
  x.rim_enhancing = {{"rim-enhancing", L}, {"ring-enhancing", L}, {"peripherally enhancing", L},
                     {"rim enhancing", S}, {"ring enhancing", H}, {"peripherally-enhancing", H}};
  x.largest = {{"largest", L}, {"biggest", L}, {"dominant", L}, {"greatest", S}, {"most prominent", H}, {"bulkiest", H}};
  x.smallest = {{"smallest", L}, {"tiniest", L}, {"littlest", S}, {"minutest", H}};
  x.second_largest = {{"second largest", L}, {"second-largest", L}, {"second biggest", L}, {"2nd largest", S},
                      {"next largest", H}, {"second-biggest", H}};
  x.right_lobe = {{"in the right lobe", L}, {"in the right hepatic lobe", L}, {"of the right liver lobe", L},
                  {"within the right lobe", L}, {"in the right liver lobe", S}, {"in the right hemiliver", H},
                  {"on the right side of the liver", H}, {"in the liver's right lobe", H}};
  x.left_lobe = {{"in the left lobe", L}, {"in the left hepatic lobe", L}, {"of the left liver lobe", L},
                 {"within the left lobe", L}, {"in the left liver lobe", S}, {"in the left hemiliver", H},
                 {"on the left side of the liver", H}, {"in the liver's left lobe", H}};
  x.anterior = {{"in the anterior liver", L}, {"located anteriorly", L}, {"in the anterior part of the liver", L},
                {"in the front of the liver", S}, {"anteriorly in the liver", H}, {"in the ventral liver", H}};
  x.posterior = {{"in the posterior liver", L}, {"located posteriorly", L}, {"in the posterior part of the liver", L},
                 {"in the back of the liver", S}, {"posteriorly in the liver", H}, {"in the dorsal liver", H}};
  x.hilum = {{"near the hilum", L}, {"close to the porta hepatis", L}, {"adjacent to the hilum", L},
             {"by the hilum", S}, {"next to the porta hepatis", H}, {"near the liver hilum", H}};
  x.dome = {{"near the dome", L}, {"at the liver dome", L}, {"close to the dome", L},
            {"at the top of the liver", S}, {"near the hepatic dome", H}, {"in the subdiaphragmatic liver", H}};
  x.about = {{"about", L}, {"approximately", L}, {"roughly", L}, {"around", L}, {"approx.", S}, {"nearly", H}, {"circa", H}};
  x.centimetres = {{"cm", L}, {"centimeters", S}, {"centimetres", H}};
  x.millimetres = {{"mm", L}, {"millimeters", S}, {"millimetres", H}};
  x.measuring = {{"measuring", L}, {"of", L}, {"sized", S}, {"that measures", H}};
  x.both = {{"both", L}, {"the two", L}, {"both of the", S}, {"each of the two", H}};
  x.all = {{"all", L}, {"all the", L}, {"every one of the", L}, {"all of the", S}, {"each of the", H}};
  x.other_organ = {{"the cyst in the right kidney", S}, {"the left kidney cyst", S}, {"the lesion in the spleen", S},
                   {"the splenic lesion", S},           {"the renal mass", S},       {"the lung nodule", S},
                   {"the pulmonary nodule", S},         {"the renal cyst", H},       {"the splenic nodule", H},
                   {"the pancreatic mass", H},          {"the adrenal nodule", H},   {"the lesion in the gallbladder", H},
                   {"the cyst in the left kidney", H}};
  x.past_participles = {{"segmented", H}, {"outlined", H}, {"marked", H}, {"contoured", H}};
  return x;
}

std::vector<const Slot*> AllSlots(const Lexicon& x) {
  return {&x.verbs, &x.hypodense, &x.hyperdense, &x.rim_enhancing, &x.largest, &x.smallest,
          &x.second_largest, &x.right_lobe, &x.left_lobe, &x.anterior, &x.posterior, &x.hilum,
          &x.dome, &x.about, &x.centimetres, &x.millimetres, &x.measuring, &x.both, &x.all,
          &x.other_organ, &x.past_participles};
}

}  // namespace

const Lexicon& TheLexicon() {
  static const Lexicon* x = new Lexicon(Build());
  return *x;
}

Origin TemplateOrigin(Template t) {
  switch (t) {
    case Template::kVerb: return L;
    case Template::kPlease:
    case Template::kBare:
    case Template::kCanYou: return S;
    default: return H;
  }
}

const std::vector<Template>& AllTemplates() {
  static const std::vector<Template> all = {Template::kVerb,      Template::kPlease,         Template::kBare,
                                            Template::kCanYou,    Template::kWhere,          Template::kWouldLike,
                                            Template::kTrailingPlease, Template::kCouldYou};
  return all;
}

std::vector<std::string> HeldOutPhrases() {
  const Lexicon& x = TheLexicon();
  std::vector<std::string> out;
  for (const auto& n : x.nouns) {
    if (n.origin == H) out.insert(out.end(), {n.singular, n.plural});
  }
  for (const Slot* s : AllSlots(x)) {
    for (const Word& w : *s) {
      if (w.origin != H) continue;
      // Without its article too: the bare template drops a leading "the ".
      const std::string t(absl::StripAsciiWhitespace(w.text));
      out.push_back(absl::StartsWith(t, "the ") ? t.substr(4) : t);
    }
  }
  return out;
}

std::vector<std::string> HeldOutOnlyWords() {
  const Lexicon& x = TheLexicon();
  std::set<std::string> seen, held;
  auto add = [&](const std::string& text, Origin o) {
    for (absl::string_view w : absl::StrSplit(text, absl::ByAnyChar(" ?,"), absl::SkipEmpty())) {
      (o == H ? held : seen).insert(std::string(w));
    }
  };
  for (const auto& n : x.nouns) add(n.singular + " " + n.plural, n.origin);
  for (const Slot* s : AllSlots(x)) {
    for (const Word& w : *s) add(w.text, w.origin);
  }
  // Template words: seen "please", "can", "you"; held out "where", "is",
  // "are", "i", "would", "like", "could", "kindly".
  add("the please can you", S);
  add("where is are i would like could you kindly please", H);
  std::vector<std::string> only;
  for (const auto& w : held) {
    if (!seen.count(w)) only.push_back(w);
  }
  return only;
}

}  // namespace lsms::synth
