#include "tools/ood/ood_expressions.h"

#include <algorithm>
#include <map>

namespace lsms::ood {
namespace {

// A small deterministic chooser (splitmix64 steps).
class Chooser {
 public:
  explicit Chooser(uint64_t seed) : x_(seed ^ 0x6A09E667F3BCC909ull) {}
  uint64_t Next() {
    x_ += 0x9E3779B97F4A7C15ull;
    uint64_t z = x_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  const std::string& Of(const std::vector<std::string>& v) { return v[Next() % v.size()]; }

 private:
  uint64_t x_;
};

const std::vector<std::string> kAsk = {"segment {}",  "please contour {}",  "show me {}",        "{}",
                                       "outline {}",  "can you mark {}",    "i need {} segmented", "find {} please",
                                       "draw {}",     "{} - segment",       "highlight {} for me"};
const std::vector<std::string> kOne = {"lesion", "hepatic lesion", "liver lesion", "mass", "focal lesion", "nodule"};
const std::vector<std::string> kMany = {"lesions", "hepatic lesions", "liver lesions", "masses", "focal lesions", "nodules"};

std::string Ask(Chooser& c, const std::string& phrase) {
  std::string t = c.Of(kAsk);
  return t.replace(t.find("{}"), 2, phrase);
}

const char* TypeWord(Chooser& c, OodLesionType t) {
  static const std::vector<std::string> hypo = {"hypodense", "hypoattenuating", "low density", "darker"};
  static const std::vector<std::string> hyper = {"hyperdense", "hyperattenuating", "high density", "brighter"};
  static const std::vector<std::string> rim = {"rim-enhancing", "ring enhancing", "peripherally enhancing"};
  return (t == OodLesionType::kHypo ? c.Of(hypo) : t == OodLesionType::kHyper ? c.Of(hyper) : c.Of(rim)).c_str();
}

}  // namespace

std::vector<OodExpression> OodExpressions(const OodSlice& s, uint64_t seed, int max_count) {
  Chooser c(seed);
  std::map<std::string, std::vector<OodExpression>> by_kind;
  auto add = [&](std::string text, const char* kind, std::vector<int> t) {
    std::sort(t.begin(), t.end());
    by_kind[kind].push_back({std::move(text), kind, std::move(t)});
  };
  std::vector<const OodLesion*> all;
  for (const auto& l : s.lesions) all.push_back(&l);
  auto labels = [](const std::vector<const OodLesion*>& v) {
    std::vector<int> out;
    for (const auto* l : v) out.push_back(l->label);
    return out;
  };
  // Size rank.
  auto by_area = all;
  std::sort(by_area.begin(), by_area.end(), [](const OodLesion* a, const OodLesion* b) { return a->area_px > b->area_px; });
  const size_t n = by_area.size();
  if (n >= 2 && by_area[0]->area_px >= 1.25 * by_area[1]->area_px) {
    add(Ask(c, c.Of({"the biggest " + c.Of(kOne), "the largest " + c.Of(kOne), "the " + c.Of(kOne) + " that is largest",
                     "the dominant " + c.Of(kOne)})),
        "size_rank", {by_area[0]->label});
  }
  if (n >= 2 && by_area[n - 2]->area_px >= 1.25 * by_area[n - 1]->area_px) {
    add(Ask(c, c.Of({"the smallest " + c.Of(kOne), "the tiniest " + c.Of(kOne), "the " + c.Of(kOne) + " that is smallest"})),
        "size_rank", {by_area[n - 1]->label});
  }
  if (n == 1) add(Ask(c, "the second largest " + c.Of(kOne)), "no_target", {});
  // Lobes.
  for (bool right : {true, false}) {
    std::vector<const OodLesion*> in;
    for (const auto* l : all) {
      if (l->right_lobe == right) in.push_back(l);
    }
    const std::string lobe = right ? c.Of({"in the right lobe", "in the right hepatic lobe", "of the right lobe"})
                                   : c.Of({"in the left lobe", "in the left hepatic lobe", "of the left lobe"});
    if (!in.empty()) {
      add(Ask(c, (in.size() > 1 ? "the " + c.Of(kMany) : "the " + c.Of(kOne)) + " " + lobe), "location", labels(in));
    } else if (!all.empty()) {
      add(Ask(c, "the " + c.Of(kOne) + " " + lobe), "no_target", {});
    }
  }
  // Attenuation.
  for (OodLesionType t : {OodLesionType::kHypo, OodLesionType::kHyper, OodLesionType::kRim}) {
    std::vector<const OodLesion*> of;
    for (const auto* l : all) {
      if (l->type == t) of.push_back(l);
    }
    const std::string word = TypeWord(c, t);
    if (!of.empty()) {
      add(Ask(c, (of.size() > 1 ? c.Of({"all ", "all the ", "the "}) : std::string("the ")) + word + " " +
                     (of.size() > 1 ? c.Of(kMany) : c.Of(kOne))),
          "attenuation", labels(of));
    } else if (!all.empty()) {
      add(Ask(c, "the " + word + " " + c.Of(kOne)), "no_target", {});
    }
  }
  // Counts.
  if (n == 2) add(Ask(c, c.Of({"both ", "the two "}) + c.Of(kMany)), "count", labels(all));
  if (n >= 1) {
    add(Ask(c, c.Of({"all ", "all the ", "every one of the "}) + c.Of(kMany)), "count", labels(all));
  } else {
    add(Ask(c, "the " + c.Of(kOne)), "no_target", {});
    add(Ask(c, "all " + c.Of(kMany)), "no_target", {});
  }
  // Other organs.
  add(Ask(c, c.Of({"the kidney cyst", "the cyst in the kidney", "the renal lesion", "the splenic lesion",
                   "the lesion in the spleen", "the lung nodule", "the pancreatic lesion"})),
      "other_organ", {});
  // Round-robin over kinds, in a fixed kind order.
  std::vector<OodExpression> out;
  const std::vector<std::string> order = {"size_rank", "location", "attenuation", "count", "no_target", "other_organ"};
  for (size_t round = 0; static_cast<int>(out.size()) < max_count; ++round) {
    bool any = false;
    for (const auto& k : order) {
      auto& v = by_kind[k];
      if (round < v.size() && static_cast<int>(out.size()) < max_count) {
        out.push_back(v[round]);
        any = true;
      }
    }
    if (!any) break;
  }
  return out;
}

}  // namespace lsms::ood
