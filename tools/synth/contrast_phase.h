// Contrast phases of abdominal CT and the densities of the tissues in each,
// for lsms-synth's domain randomisation. A density is the unenhanced value of
// the tissue plus the enhancement of the phase; both are drawn from ranges
// (HU) typical of clinical liver CT (unenhanced liver 50–70 HU, fatty liver
// lower; portal-venous liver ~85–130 HU; aorta > 200 HU in the late arterial
// phase). Lesion densities are defined relative to the liver of the same
// slice, as radiologists describe them ("hypodense to the liver").
#ifndef LSMS_TOOLS_SYNTH_CONTRAST_PHASE_H_
#define LSMS_TOOLS_SYNTH_CONTRAST_PHASE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/synth/raster.h"

namespace lsms::synth {

enum class Phase { kUnenhanced, kArterial, kPortalVenous, kDelayed };

const char* PhaseName(Phase p);  // "unenhanced", "arterial", "portal_venous", "delayed"
absl::StatusOr<Phase> ParsePhase(const std::string& name);
const std::vector<Phase>& AllPhases();

struct HuRange {
  double lo = 0, hi = 0;
};

enum class Tissue {
  kLiver,
  kFattyLiver,
  kSpleen,
  kKidneyCortex,
  kKidneyMedulla,
  kAorta,
  kPortalVein,
  kHepaticVein,
  kMuscle,
  kBowelWall,
  kBladder,
};

// Unenhanced density and the enhancement added in `phase`, in HU.
HuRange UnenhancedRange(Tissue t);
HuRange EnhancementRange(Tissue t, Phase phase);

// The densities of one slice, drawn once so that every structure of a tissue
// in that slice shares them.
struct PhaseDensities {
  Phase phase = Phase::kUnenhanced;
  bool fatty_liver = false;
  double liver = 60, spleen = 45, kidney_cortex = 35, kidney_medulla = 30, aorta = 40,
         portal_vein = 40, hepatic_vein = 38, muscle = 50, bowel_wall = 35, bladder = 8;
};
PhaseDensities SampleDensities(Phase phase, bool fatty_liver, Rng& rng);

// Lesion minus liver, in HU, for each attenuation the benchmark names. The
// rim of a rim-enhancing lesion is brighter than the liver and its core
// darker; rim enhancement needs contrast, so the unenhanced phase has none.
HuRange HypodenseContrast();
HuRange HyperdenseContrast();
HuRange RimContrast();
HuRange RimCoreContrast();
bool PhaseAllowsRimEnhancement(Phase phase);

}  // namespace lsms::synth

#endif  // LSMS_TOOLS_SYNTH_CONTRAST_PHASE_H_
