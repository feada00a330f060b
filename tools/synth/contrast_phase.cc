#include "tools/synth/contrast_phase.h"

#include "absl/strings/str_cat.h"

namespace lsms::synth {

const char* PhaseName(Phase p) {
  switch (p) {
    case Phase::kUnenhanced: return "unenhanced";
    case Phase::kArterial: return "arterial";
    case Phase::kPortalVenous: return "portal_venous";
    case Phase::kDelayed: return "delayed";
  }
  return "?";
}

const std::vector<Phase>& AllPhases() {
  static const std::vector<Phase> all = {Phase::kUnenhanced, Phase::kArterial, Phase::kPortalVenous,
                                         Phase::kDelayed};
  return all;
}

absl::StatusOr<Phase> ParsePhase(const std::string& name) {
  for (Phase p : AllPhases()) {
    if (name == PhaseName(p)) return p;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown contrast phase '", name, "' (unenhanced, arterial, portal_venous, delayed)"));
}

HuRange UnenhancedRange(Tissue t) {
  switch (t) {
    case Tissue::kLiver: return {50, 70};
    case Tissue::kFattyLiver: return {5, 42};
    case Tissue::kSpleen: return {40, 52};
    case Tissue::kKidneyCortex: return {30, 42};
    case Tissue::kKidneyMedulla: return {28, 38};
    case Tissue::kAorta: return {35, 50};
    case Tissue::kPortalVein: return {35, 48};
    case Tissue::kHepaticVein: return {30, 45};
    case Tissue::kMuscle: return {42, 58};
    case Tissue::kBowelWall: return {25, 45};
    case Tissue::kBladder: return {0, 15};
  }
  return {0, 0};
}

HuRange EnhancementRange(Tissue t, Phase phase) {
  // Columns: arterial, portal-venous, delayed (unenhanced adds nothing).
  struct Row {
    HuRange arterial, portal, delayed;
  };
  auto row = [](Tissue t) -> Row {
    switch (t) {
      case Tissue::kLiver:
      case Tissue::kFattyLiver: return {{8, 25}, {35, 60}, {20, 38}};
      case Tissue::kSpleen: return {{40, 90}, {60, 85}, {30, 50}};
      case Tissue::kKidneyCortex: return {{120, 190}, {110, 160}, {70, 110}};
      case Tissue::kKidneyMedulla: return {{10, 45}, {100, 150}, {80, 130}};
      case Tissue::kAorta: return {{200, 330}, {100, 150}, {50, 85}};
      case Tissue::kPortalVein: return {{30, 80}, {110, 170}, {50, 85}};
      case Tissue::kHepaticVein: return {{0, 20}, {95, 150}, {50, 85}};
      case Tissue::kMuscle: return {{3, 12}, {8, 18}, {5, 12}};
      case Tissue::kBowelWall: return {{20, 50}, {30, 60}, {15, 35}};
      case Tissue::kBladder: return {{0, 5}, {0, 10}, {150, 500}};  // excreted contrast
    }
    return {};
  }(t);
  switch (phase) {
    case Phase::kUnenhanced: return {0, 0};
    case Phase::kArterial: return row.arterial;
    case Phase::kPortalVenous: return row.portal;
    case Phase::kDelayed: return row.delayed;
  }
  return {0, 0};
}

PhaseDensities SampleDensities(Phase phase, bool fatty_liver, Rng& rng) {
  auto draw = [&](Tissue t) {
    HuRange u = UnenhancedRange(t), e = EnhancementRange(t, phase);
    return Uniform(rng, u.lo, u.hi) + (e.hi > e.lo ? Uniform(rng, e.lo, e.hi) : e.lo);
  };
  PhaseDensities d;
  d.phase = phase;
  d.fatty_liver = fatty_liver;
  d.liver = draw(fatty_liver ? Tissue::kFattyLiver : Tissue::kLiver);
  d.spleen = draw(Tissue::kSpleen);
  d.kidney_cortex = draw(Tissue::kKidneyCortex);
  d.kidney_medulla = draw(Tissue::kKidneyMedulla);
  d.aorta = draw(Tissue::kAorta);
  d.portal_vein = draw(Tissue::kPortalVein);
  d.hepatic_vein = draw(Tissue::kHepaticVein);
  d.muscle = draw(Tissue::kMuscle);
  d.bowel_wall = draw(Tissue::kBowelWall);
  d.bladder = draw(Tissue::kBladder);
  return d;
}

HuRange HypodenseContrast() { return {-70, -20}; }
HuRange HyperdenseContrast() { return {20, 60}; }
HuRange RimContrast() { return {25, 60}; }
HuRange RimCoreContrast() { return {-60, -25}; }
bool PhaseAllowsRimEnhancement(Phase phase) { return phase != Phase::kUnenhanced; }

}  // namespace lsms::synth
