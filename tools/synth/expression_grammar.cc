#include "tools/synth/expression_grammar.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "tools/synth/lexicon.h"

namespace lsms::synth {
namespace {

using Rng = std::mt19937_64;

// Picks words and templates for one expression at a time under a phrasing.
// Legacy: legacy words only and the one legacy template, drawn exactly as the
// benchmark's grammar always drew them (same rng calls, same order).
class Wording {
 public:
  Wording(Rng& r, Phrasing mode) : r_(r), mode_(mode) {}

  bool legacy() const { return mode_ == Phrasing::kLegacy; }
  bool held_out() const { return held_out_; }

  // Starts an expression (kMixed: held out with probability 1/2).
  void Begin() {
    used_held_out_ = false;
    held_out_ = mode_ == Phrasing::kHeldOut ||
                (mode_ == Phrasing::kMixed && std::uniform_int_distribution<int>(0, 1)(r_) == 1);
  }

  const std::string& Pick(const Slot& slot) {
    std::vector<const Word*> ok;
    for (const Word& w : slot) {
      if (Allowed(w.origin)) ok.push_back(&w);
    }
    const Word* w = ok[std::uniform_int_distribution<size_t>(0, ok.size() - 1)(r_)];
    used_held_out_ |= w->origin == Origin::kHeldOut;
    return w->text;
  }

  const NounPair& PickNoun() {
    std::vector<const NounPair*> ok;
    for (const NounPair& n : TheLexicon().nouns) {
      if (Allowed(n.origin)) ok.push_back(&n);
    }
    const NounPair* n = ok[std::uniform_int_distribution<size_t>(0, ok.size() - 1)(r_)];
    used_held_out_ |= n->origin == Origin::kHeldOut;
    return *n;
  }

  // "the <adj> <noun> <place>" or its plural, in a template.
  std::string Phrase(const std::string& adj, const std::string& place, bool plural) {
    const NounPair& noun = PickNoun();
    if (legacy()) {
      std::string s = Pick(TheLexicon().verbs) + "the ";
      if (!adj.empty()) s += adj + " ";
      s += plural ? noun.plural : noun.singular;
      if (!place.empty()) s += " " + place;
      return s;
    }
    std::string np = "the ";
    if (!adj.empty()) np += adj + " ";
    np += plural ? noun.plural : noun.singular;
    if (!place.empty()) np += " " + place;
    return Wrap(np, plural);
  }

  // A noun phrase in a sentence template. A held-out expression that has not
  // used a held-out word yet gets a held-out template.
  std::string Wrap(const std::string& np, bool plural) {
    if (legacy()) return Pick(TheLexicon().verbs) + np;
    std::vector<Template> ok;
    for (Template t : AllTemplates()) {
      const Origin o = TemplateOrigin(t);
      if (held_out_ && !used_held_out_ ? o == Origin::kHeldOut : Allowed(o)) ok.push_back(t);
    }
    const Template t = ok[std::uniform_int_distribution<size_t>(0, ok.size() - 1)(r_)];
    used_held_out_ |= TemplateOrigin(t) == Origin::kHeldOut;
    const std::string bare = absl::StartsWith(np, "the ") ? np.substr(4) : np;
    switch (t) {
      case Template::kVerb: return Pick(TheLexicon().verbs) + np;
      case Template::kPlease: return "please " + Verb() + " " + np;
      case Template::kBare: return bare;
      case Template::kCanYou: return "can you " + Verb() + " " + np + "?";
      case Template::kWhere: return (plural ? "where are " : "where is ") + np + "?";
      case Template::kWouldLike: return "i would like " + np + " " + Pick(TheLexicon().past_participles);
      case Template::kTrailingPlease: return bare + ", please";
      case Template::kCouldYou: return "could you kindly " + Verb() + " " + np;
    }
    return np;
  }

 private:
  bool Allowed(Origin o) const {
    if (mode_ == Phrasing::kLegacy) return o == Origin::kLegacy;
    return held_out_ || o != Origin::kHeldOut;
  }
  // A non-empty verb without its trailing space.
  std::string Verb() {
    std::string v;
    while (v.empty()) v = Pick(TheLexicon().verbs);
    return v.substr(0, v.size() - 1);
  }

  Rng& r_;
  const Phrasing mode_;
  bool held_out_ = false, used_held_out_ = false;
};

std::vector<int> Ids(const std::vector<const Lesion*>& ls) {
  std::vector<int> ids;
  for (const auto* l : ls) ids.push_back(l->id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<const Lesion*> Filter(const Phantom& p, const std::function<bool(const Lesion&)>& f) {
  std::vector<const Lesion*> out;
  for (const auto& l : p.lesions) {
    if (f(l)) out.push_back(&l);
  }
  return out;
}

void Add(std::vector<Expression>* out, const Wording& w, std::string text, const char* kind, std::vector<int> ids) {
  out->push_back({std::move(text), kind, std::move(ids), w.held_out()});
}

}  // namespace

const std::vector<std::string>& ExpressionKinds() {
  static const std::vector<std::string> k = {"size_rank", "location", "size_approx", "attenuation",
                                             "count",     "no_target", "other_organ"};
  return k;
}

const char* PhrasingName(Phrasing p) {
  switch (p) {
    case Phrasing::kLegacy: return "legacy";
    case Phrasing::kSeen: return "seen";
    case Phrasing::kHeldOut: return "held_out";
    case Phrasing::kMixed: return "mixed";
  }
  return "?";
}

absl::StatusOr<Phrasing> ParsePhrasing(const std::string& name) {
  for (Phrasing p : {Phrasing::kLegacy, Phrasing::kSeen, Phrasing::kHeldOut, Phrasing::kMixed}) {
    if (name == PhrasingName(p)) return p;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown phrasing '", name, "' (legacy, seen, held_out, mixed)"));
}

std::vector<Expression> AllExpressions(const Phantom& p, uint64_t seed, Phrasing phrasing) {
  Rng r(seed ^ 0xA5A5F00Dull);
  Wording w(r, phrasing);
  const Lexicon& x = TheLexicon();
  const std::vector<std::pair<Attenuation, const Slot*>> att = {{Attenuation::kHypodense, &x.hypodense},
                                                                {Attenuation::kHyperdense, &x.hyperdense},
                                                                {Attenuation::kRimEnhancing, &x.rim_enhancing}};
  std::vector<Expression> out;
  const auto all = Filter(p, [](const Lesion&) { return true; });

  // Size rank, overall and within one attenuation. The legacy grammar draws
  // one adjective per attenuation group; the extended one draws it inside
  // each expression, so that its phrasing label covers it.
  auto ranks = [&](std::vector<const Lesion*> ls, const Slot* adjectives) {
    const std::string fixed = adjectives && w.legacy() ? w.Pick(*adjectives) : "";
    auto adj = [&]() -> std::string {
      if (!adjectives) return "";
      return w.legacy() ? fixed : w.Pick(*adjectives);
    };
    auto with = [](const std::string& a) { return a.empty() ? "" : " " + a; };
    std::sort(ls.begin(), ls.end(), [](const Lesion* a, const Lesion* b) { return a->area_px > b->area_px; });
    const size_t n = ls.size();
    if (n == 0) return;
    if (n == 1 && adjectives) {
      w.Begin();
      const std::string a = adj();
      Add(&out, w, w.Phrase(w.Pick(x.largest) + " " + a, "", false), "size_rank", {ls[0]->id});
    }
    if (n >= 2 && ls[0]->area_px >= 1.2 * ls[1]->area_px) {
      w.Begin();
      const std::string a = adj();
      Add(&out, w, w.Phrase(w.Pick(x.largest) + with(a), "", false), "size_rank", {ls[0]->id});
    }
    if (n >= 2 && ls[n - 2]->area_px >= 1.2 * ls[n - 1]->area_px) {
      w.Begin();
      const std::string a = adj();
      Add(&out, w, w.Phrase(w.Pick(x.smallest) + with(a), "", false), "size_rank", {ls[n - 1]->id});
    }
    if (n >= 3 && ls[0]->area_px >= 1.2 * ls[1]->area_px && ls[1]->area_px >= 1.2 * ls[2]->area_px) {
      w.Begin();
      const std::string a = adj();
      Add(&out, w, w.Phrase(w.Pick(x.second_largest) + with(a), "", false), "size_rank", {ls[1]->id});
    }
  };
  ranks(all, nullptr);
  for (const auto& [a, words] : att) {
    auto ls = Filter(p, [a = a](const Lesion& l) { return l.attenuation == a; });
    if (ls.size() >= 2 || (ls.size() == 1 && all.size() >= 2)) ranks(ls, words);
  }

  // Location: lobes.
  for (bool right : {true, false}) {
    auto ls = Filter(p, [right](const Lesion& l) { return l.right_lobe == right; });
    const Slot& place = right ? x.right_lobe : x.left_lobe;
    w.Begin();
    if (!ls.empty()) Add(&out, w, w.Phrase("", w.Pick(place), ls.size() > 1), "location", Ids(ls));
    else if (!all.empty()) Add(&out, w, w.Phrase("", w.Pick(place), false), "no_target", {});
  }
  // Anterior / posterior relative to the liver centroid, with a margin.
  const double margin_px = 10.0 / p.spacing_mm;
  for (bool anterior : {true, false}) {
    auto ls = Filter(p, [&](const Lesion& l) {
      return anterior ? l.centroid_y < p.liver_cy - margin_px : l.centroid_y > p.liver_cy + margin_px;
    });
    auto ambiguous = Filter(p, [&](const Lesion& l) { return std::abs(l.centroid_y - p.liver_cy) <= margin_px; });
    if (!ls.empty() && ambiguous.empty()) {
      w.Begin();
      Add(&out, w, w.Phrase("", w.Pick(anterior ? x.anterior : x.posterior), ls.size() > 1), "location", Ids(ls));
    }
  }
  // Hilum / dome: nearest and farthest from the hilum.
  if (all.size() >= 2) {
    auto ls = all;
    std::sort(ls.begin(), ls.end(), [](const Lesion* a, const Lesion* b) { return a->hilum_distance_mm < b->hilum_distance_mm; });
    if (ls[1]->hilum_distance_mm - ls[0]->hilum_distance_mm >= 15) {
      w.Begin();
      Add(&out, w, w.Phrase("", w.Pick(x.hilum), false), "location", {ls[0]->id});
    }
    size_t n = ls.size();
    if (ls[n - 1]->hilum_distance_mm - ls[n - 2]->hilum_distance_mm >= 15) {
      w.Begin();
      Add(&out, w, w.Phrase("", w.Pick(x.dome), false), "location", {ls[n - 1]->id});
    }
  }

  // Approximate size.
  for (const auto* l : all) {
    double cm = std::round(l->diameter_mm / 10.0);
    if (cm < 1 || std::abs(l->diameter_mm / 10.0 - cm) > 0.3) continue;
    bool unique = true;
    for (const auto* o : all) unique = unique && (o == l || std::abs(o->diameter_mm - l->diameter_mm) >= 10.0);
    if (!unique) continue;
    w.Begin();
    std::string text;
    if (w.legacy()) {
      std::string size = std::uniform_int_distribution<int>(0, 3)(r) == 0
                             ? absl::StrCat(w.Pick(x.about), " ", static_cast<int>(cm * 10), " mm")
                             : absl::StrCat(w.Pick(x.about), " ", static_cast<int>(cm), " cm");
      text = std::uniform_int_distribution<int>(0, 1)(r) ? w.Phrase("", "measuring " + size, false)
                                                         : w.Phrase("", "of " + size, false);
    } else {
      const bool in_mm = std::uniform_int_distribution<int>(0, 3)(r) == 0;
      std::string size = w.Pick(x.about);
      size = in_mm ? absl::StrCat(size, " ", static_cast<int>(cm * 10), " ", w.Pick(x.millimetres))
                   : absl::StrCat(size, " ", static_cast<int>(cm), " ", w.Pick(x.centimetres));
      text = w.Phrase("", w.Pick(x.measuring) + " " + size, false);
    }
    Add(&out, w, text, "size_approx", {l->id});
  }

  // Attenuation.
  for (const auto& [a, words] : att) {
    auto ls = Filter(p, [a = a](const Lesion& l) { return l.attenuation == a; });
    w.Begin();
    if (!ls.empty()) Add(&out, w, w.Phrase(w.Pick(*words), "", ls.size() > 1), "attenuation", Ids(ls));
    else if (!all.empty()) Add(&out, w, w.Phrase(w.Pick(*words), "", false), "no_target", {});
  }

  // Count.
  if (all.size() == 2) {
    w.Begin();
    const NounPair& noun = w.PickNoun();
    if (w.legacy()) {
      Add(&out, w, w.Pick(x.verbs) + w.Pick(x.both) + " " + noun.plural, "count", Ids(all));
    } else {
      Add(&out, w, w.Wrap(w.Pick(x.both) + " " + noun.plural, true), "count", Ids(all));
    }
  }
  if (!all.empty()) {
    w.Begin();
    const NounPair& noun = w.PickNoun();
    if (w.legacy()) {
      Add(&out, w, w.Pick(x.verbs) + w.Pick(x.all) + " " + noun.plural, "count", Ids(all));
    } else {
      Add(&out, w, w.Wrap(w.Pick(x.all) + " " + noun.plural, true), "count", Ids(all));
    }
  } else {
    w.Begin();
    Add(&out, w, w.Phrase("", "", false), "no_target", {});
    w.Begin();
    const NounPair& noun = w.PickNoun();
    if (w.legacy()) {
      Add(&out, w, w.Pick(x.all) + " " + noun.plural, "no_target", {});
    } else {
      Add(&out, w, w.Wrap(w.Pick(x.all) + " " + noun.plural, true), "no_target", {});
    }
  }
  // Ranks that cannot exist.
  if (all.size() == 1) {
    w.Begin();
    Add(&out, w, w.Phrase(w.Pick(x.second_largest), "", false), "no_target", {});
  }
  // Other organs: the model segments liver lesions only.
  if (!w.legacy()) {
    for (int k = 0; k < 2; ++k) {
      w.Begin();
      Add(&out, w, w.Wrap(w.Pick(x.other_organ), false), "other_organ", {});
    }
  }
  return out;
}

std::vector<Expression> SampleExpressions(const Phantom& p, uint64_t seed, int count, Phrasing phrasing) {
  std::vector<Expression> all = AllExpressions(p, seed, phrasing);
  Rng r(seed ^ 0x5EEDull);
  std::shuffle(all.begin(), all.end(), r);
  // Round-robin over kinds so that no kind crowds out the others.
  std::map<std::string, std::vector<Expression>> by_kind;
  for (auto& e : all) by_kind[e.kind].push_back(std::move(e));
  std::vector<Expression> out;
  while (static_cast<int>(out.size()) < count) {
    bool any = false;
    for (const auto& kind : ExpressionKinds()) {
      auto& v = by_kind[kind];
      if (v.empty() || static_cast<int>(out.size()) >= count) continue;
      out.push_back(std::move(v.back()));
      v.pop_back();
      any = true;
    }
    if (!any) break;
  }
  return out;
}

std::string SwapLeftRight(const std::string& text) {
  return absl::StrReplaceAll(text, {{"right", "left"}, {"left", "right"}});
}

std::vector<std::string> GrammarCorpus(Phrasing phrasing) {
  const Lexicon& x = TheLexicon();
  auto allowed = [&](Origin o) {
    switch (phrasing) {
      case Phrasing::kLegacy: return o == Origin::kLegacy;
      case Phrasing::kSeen: return o != Origin::kHeldOut;
      default: return true;
    }
  };
  std::vector<std::string> c;
  for (const auto& n : x.nouns) {
    if (allowed(n.origin)) c.push_back(n.singular);
  }
  for (const auto& n : x.nouns) {
    if (allowed(n.origin)) c.push_back(n.plural);
  }
  for (const Slot* s : {&x.verbs, &x.largest, &x.smallest, &x.second_largest, &x.right_lobe, &x.left_lobe,
                        &x.anterior, &x.posterior, &x.hilum, &x.dome, &x.about, &x.both, &x.all, &x.hypodense,
                        &x.hyperdense, &x.rim_enhancing}) {
    for (const Word& w : *s) {
      if (allowed(w.origin)) c.push_back(w.text);
    }
  }
  c.push_back("the measuring of cm mm");
  for (int i = 1; i <= 9; ++i) c.push_back(absl::StrCat(i, " ", i * 10));
  if (phrasing == Phrasing::kLegacy) return c;
  for (const Slot* s : {&x.centimetres, &x.millimetres, &x.measuring, &x.other_organ, &x.past_participles}) {
    for (const Word& w : *s) {
      if (allowed(w.origin)) c.push_back(w.text);
    }
  }
  c.push_back("please can you ?");
  if (phrasing != Phrasing::kSeen) c.push_back("where is are i would like could kindly ,");
  return c;
}

}  // namespace lsms::synth
