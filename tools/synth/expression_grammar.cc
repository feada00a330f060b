#include "tools/synth/expression_grammar.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"

namespace lsms::synth {
namespace {

using Rng = std::mt19937_64;

const std::vector<std::string> kNouns = {"lesion", "mass", "nodule", "tumor", "focus", "hepatic lesion", "liver lesion"};
const std::vector<std::string> kPlural = {"lesions", "masses", "nodules", "tumors", "foci", "hepatic lesions", "liver lesions"};
const std::vector<std::string> kVerbs = {"", "", "segment ", "find ", "show ", "outline ", "delineate ", "highlight "};
const std::map<Attenuation, std::vector<std::string>> kAtt = {
    {Attenuation::kHypodense, {"hypodense", "low-attenuation", "hypoattenuating", "darker", "low-density"}},
    {Attenuation::kHyperdense, {"hyperdense", "high-attenuation", "hyperattenuating", "brighter", "high-density"}},
    {Attenuation::kRimEnhancing, {"rim-enhancing", "ring-enhancing", "peripherally enhancing"}}};
const std::vector<std::string> kLargest = {"largest", "biggest", "dominant"};
const std::vector<std::string> kSmallest = {"smallest", "tiniest"};
const std::vector<std::string> kSecond = {"second largest", "second-largest", "second biggest"};
const std::vector<std::string> kRightLobe = {"in the right lobe", "in the right hepatic lobe", "of the right liver lobe", "within the right lobe"};
const std::vector<std::string> kLeftLobe = {"in the left lobe", "in the left hepatic lobe", "of the left liver lobe", "within the left lobe"};
const std::vector<std::string> kAnterior = {"in the anterior liver", "located anteriorly", "in the anterior part of the liver"};
const std::vector<std::string> kPosterior = {"in the posterior liver", "located posteriorly", "in the posterior part of the liver"};
const std::vector<std::string> kHilum = {"near the hilum", "close to the porta hepatis", "adjacent to the hilum"};
const std::vector<std::string> kDome = {"near the dome", "at the liver dome", "close to the dome"};
const std::vector<std::string> kAbout = {"about", "approximately", "roughly", "around"};
const std::vector<std::string> kBoth = {"both", "the two"};
const std::vector<std::string> kAll = {"all", "all the", "every one of the"};

const std::string& Pick(Rng& r, const std::vector<std::string>& v) {
  return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(r)];
}

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

// "the <adj> <noun> <place>" or its plural.
std::string Phrase(Rng& r, const std::string& adj, const std::string& place, bool plural) {
  size_t noun = std::uniform_int_distribution<size_t>(0, kNouns.size() - 1)(r);
  std::string s = Pick(r, kVerbs) + "the ";
  if (!adj.empty()) s += adj + " ";
  s += plural ? kPlural[noun] : kNouns[noun];
  if (!place.empty()) s += " " + place;
  return s;
}

void Add(std::vector<Expression>* out, std::string text, const char* kind, std::vector<int> ids) {
  out->push_back({std::move(text), kind, std::move(ids)});
}

}  // namespace

const std::vector<std::string>& ExpressionKinds() {
  static const std::vector<std::string> k = {"size_rank", "location", "size_approx", "attenuation", "count", "no_target"};
  return k;
}

std::vector<Expression> AllExpressions(const Phantom& p, uint64_t seed) {
  Rng r(seed ^ 0xA5A5F00Dull);
  std::vector<Expression> out;
  const auto all = Filter(p, [](const Lesion&) { return true; });

  // Size rank, overall and within one attenuation.
  auto ranks = [&](std::vector<const Lesion*> ls, const std::string& adj) {
    std::sort(ls.begin(), ls.end(), [](const Lesion* a, const Lesion* b) { return a->area_px > b->area_px; });
    const size_t n = ls.size();
    if (n == 0) return;
    if (n == 1 && !adj.empty()) {
      Add(&out, Phrase(r, Pick(r, kLargest) + " " + adj, "", false), "size_rank", {ls[0]->id});
    }
    if (n >= 2 && ls[0]->area_px >= 1.2 * ls[1]->area_px) {
      Add(&out, Phrase(r, Pick(r, kLargest) + (adj.empty() ? "" : " " + adj), "", false), "size_rank", {ls[0]->id});
    }
    if (n >= 2 && ls[n - 2]->area_px >= 1.2 * ls[n - 1]->area_px) {
      Add(&out, Phrase(r, Pick(r, kSmallest) + (adj.empty() ? "" : " " + adj), "", false), "size_rank", {ls[n - 1]->id});
    }
    if (n >= 3 && ls[0]->area_px >= 1.2 * ls[1]->area_px && ls[1]->area_px >= 1.2 * ls[2]->area_px) {
      Add(&out, Phrase(r, Pick(r, kSecond) + (adj.empty() ? "" : " " + adj), "", false), "size_rank", {ls[1]->id});
    }
  };
  ranks(all, "");
  for (const auto& [att, words] : kAtt) {
    auto ls = Filter(p, [a = att](const Lesion& l) { return l.attenuation == a; });
    if (ls.size() >= 2 || (ls.size() == 1 && all.size() >= 2)) ranks(ls, Pick(r, words));
  }

  // Location: lobes.
  for (bool right : {true, false}) {
    auto ls = Filter(p, [right](const Lesion& l) { return l.right_lobe == right; });
    const auto& place = right ? kRightLobe : kLeftLobe;
    if (!ls.empty()) Add(&out, Phrase(r, "", Pick(r, place), ls.size() > 1), "location", Ids(ls));
    else if (!all.empty()) Add(&out, Phrase(r, "", Pick(r, place), false), "no_target", {});
  }
  // Anterior / posterior relative to the liver centroid, with a margin.
  const double margin_px = 10.0 / p.spacing_mm;
  for (bool anterior : {true, false}) {
    auto ls = Filter(p, [&](const Lesion& l) {
      return anterior ? l.centroid_y < p.liver_cy - margin_px : l.centroid_y > p.liver_cy + margin_px;
    });
    auto ambiguous = Filter(p, [&](const Lesion& l) { return std::abs(l.centroid_y - p.liver_cy) <= margin_px; });
    if (!ls.empty() && ambiguous.empty()) {
      Add(&out, Phrase(r, "", Pick(r, anterior ? kAnterior : kPosterior), ls.size() > 1), "location", Ids(ls));
    }
  }
  // Hilum / dome: nearest and farthest from the hilum.
  if (all.size() >= 2) {
    auto ls = all;
    std::sort(ls.begin(), ls.end(), [](const Lesion* a, const Lesion* b) { return a->hilum_distance_mm < b->hilum_distance_mm; });
    if (ls[1]->hilum_distance_mm - ls[0]->hilum_distance_mm >= 15) {
      Add(&out, Phrase(r, "", Pick(r, kHilum), false), "location", {ls[0]->id});
    }
    size_t n = ls.size();
    if (ls[n - 1]->hilum_distance_mm - ls[n - 2]->hilum_distance_mm >= 15) {
      Add(&out, Phrase(r, "", Pick(r, kDome), false), "location", {ls[n - 1]->id});
    }
  }

  // Approximate size.
  for (const auto* l : all) {
    double cm = std::round(l->diameter_mm / 10.0);
    if (cm < 1 || std::abs(l->diameter_mm / 10.0 - cm) > 0.3) continue;
    bool unique = true;
    for (const auto* o : all) unique = unique && (o == l || std::abs(o->diameter_mm - l->diameter_mm) >= 10.0);
    if (!unique) continue;
    std::string size = std::uniform_int_distribution<int>(0, 3)(r) == 0
                           ? absl::StrCat(Pick(r, kAbout), " ", static_cast<int>(cm * 10), " mm")
                           : absl::StrCat(Pick(r, kAbout), " ", static_cast<int>(cm), " cm");
    std::string text = std::uniform_int_distribution<int>(0, 1)(r)
                           ? Phrase(r, "", "measuring " + size, false)
                           : Phrase(r, "", "of " + size, false);
    Add(&out, text, "size_approx", {l->id});
  }

  // Attenuation.
  for (const auto& [att, words] : kAtt) {
    auto ls = Filter(p, [a = att](const Lesion& l) { return l.attenuation == a; });
    if (!ls.empty()) Add(&out, Phrase(r, Pick(r, words), "", ls.size() > 1), "attenuation", Ids(ls));
    else if (!all.empty()) Add(&out, Phrase(r, Pick(r, words), "", false), "no_target", {});
  }

  // Count.
  if (all.size() == 2) {
    size_t noun = std::uniform_int_distribution<size_t>(0, kPlural.size() - 1)(r);
    Add(&out, Pick(r, kVerbs) + Pick(r, kBoth) + " " + kPlural[noun], "count", Ids(all));
  }
  if (!all.empty()) {
    size_t noun = std::uniform_int_distribution<size_t>(0, kPlural.size() - 1)(r);
    Add(&out, Pick(r, kVerbs) + Pick(r, kAll) + " " + kPlural[noun], "count", Ids(all));
  } else {
    Add(&out, Phrase(r, "", "", false), "no_target", {});
    size_t noun = std::uniform_int_distribution<size_t>(0, kPlural.size() - 1)(r);
    Add(&out, Pick(r, kAll) + " " + kPlural[noun], "no_target", {});
  }
  // Ranks that cannot exist.
  if (all.size() == 1) Add(&out, Phrase(r, Pick(r, kSecond), "", false), "no_target", {});
  return out;
}

std::vector<Expression> SampleExpressions(const Phantom& p, uint64_t seed, int count) {
  std::vector<Expression> all = AllExpressions(p, seed);
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

std::vector<std::string> GrammarCorpus() {
  std::vector<std::string> c;
  for (const auto* v : {&kNouns, &kPlural, &kVerbs, &kLargest, &kSmallest, &kSecond, &kRightLobe, &kLeftLobe,
                        &kAnterior, &kPosterior, &kHilum, &kDome, &kAbout, &kBoth, &kAll}) {
    for (const auto& s : *v) c.push_back(s);
  }
  for (const auto& [a, words] : kAtt) {
    for (const auto& w : words) c.push_back(w);
  }
  c.push_back("the measuring of cm mm");
  for (int i = 1; i <= 9; ++i) c.push_back(absl::StrCat(i, " ", i * 10));
  return c;
}

}  // namespace lsms::synth
