#include "tools/eval/lesion_recall.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "tools/eval/selection.h"

namespace lsms::eval {
namespace {

// Bins in the report's order (std::map would sort them as strings).
constexpr const char* kDiameterBins[] = {"< 6 mm", "6–10 mm", "10–15 mm", "15–25 mm", "≥ 25 mm"};

std::string Table(const std::string& what, const std::vector<std::string>& order,
                  const std::map<std::string, int>& targets, const std::map<std::string, int>& found) {
  std::string md = absl::StrFormat("| %s | targets | found | recall |\n|---|---|---|---|\n", what);
  for (const auto& key : order) {
    auto t = targets.find(key);
    if (t == targets.end() || t->second == 0) continue;
    const int f = found.count(key) ? found.at(key) : 0;
    absl::StrAppendFormat(&md, "| %s | %d | %d | %.3f |\n", key, t->second, f,
                          static_cast<double>(f) / t->second);
  }
  return md;
}

}  // namespace

std::string DiameterBin(double d) {
  if (d < 6) return kDiameterBins[0];
  if (d < 10) return kDiameterBins[1];
  if (d < 15) return kDiameterBins[2];
  if (d < 25) return kDiameterBins[3];
  return kDiameterBins[4];
}

void LesionRecall::Add(const std::string& kind, const std::vector<uint8_t>& prediction, const std::vector<uint8_t>& labels,
                       const std::vector<int>& targets, const std::vector<LesionFacts>& lesions,
                       double coverage) {
  if (targets.empty()) return;
  const auto hit = LesionCoverage(prediction, labels);
  for (int t : targets) {
    const LesionFacts* facts = nullptr;
    for (const auto& l : lesions) {
      if (l.id == t) facts = &l;
    }
    auto h = hit.find(t);
    const bool found = h != hit.end() && static_cast<double>(h->second.first) >=
                                             coverage * static_cast<double>(h->second.second);
    const std::string size = facts ? DiameterBin(facts->diameter_mm) : "unknown";
    const std::string att = facts && !facts->attenuation.empty() ? facts->attenuation : "unknown";
    for (Count* c : {&by_diameter_[size], &by_attenuation_[att], &by_kind_[kind]}) {
      ++c->targets;
      c->found += found;
    }
  }
}

nlohmann::json LesionRecall::ToJson() const {
  nlohmann::json j;
  for (const auto& [name, counts] : {std::pair{"by_diameter", &by_diameter_}, std::pair{"by_attenuation", &by_attenuation_},
                                     std::pair{"by_kind", &by_kind_}}) {
    j[name] = nlohmann::json::object();
    for (const auto& [k, c] : *counts) j[name][k] = {{"targets", c.targets}, {"found", c.found}};
  }
  return j;
}

std::string LesionRecall::ToMarkdown() const {
  auto table = [](const std::string& what, const std::map<std::string, Count>& counts,
                  std::vector<std::string> order) {
    std::map<std::string, int> t, f;
    for (const auto& [k, c] : counts) {
      t[k] = c.targets;
      f[k] = c.found;
      if (std::find(order.begin(), order.end(), k) == order.end()) order.push_back(k);
    }
    return Table(what, order, t, f);
  };
  return table("in-slice diameter", by_diameter_, {std::begin(kDiameterBins), std::end(kDiameterBins)}) + "\n" +
         table("attenuation", by_attenuation_, {}) + "\n" + table("expression kind", by_kind_, {});
}

}  // namespace lsms::eval
