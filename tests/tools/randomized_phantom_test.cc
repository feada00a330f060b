// lsms-synth's domain randomisation: phase densities, relative lesion
// contrast, the regions without liver, and the legacy generator unchanged.
#include <algorithm>
#include <cstring>
#include <map>

#include <gtest/gtest.h>

#include "tools/synth/contrast_phase.h"
#include "tools/synth/phantom.h"

namespace lsms::synth {
namespace {

uint64_t Fingerprint(const Phantom& p) {  // FNV-1a over HU bits and labels
  uint64_t h = 1469598103934665603ull;
  for (float v : p.hu.data) {
    uint32_t b;
    std::memcpy(&b, &v, 4);
    h = (h ^ b) * 1099511628211ull;
  }
  for (uint8_t v : p.labels) h = (h ^ v) * 1099511628211ull;
  return h;
}

double Median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

TEST(LegacyPhantomTest, UnchangedBitForBit) {
  // Values printed by the generator before domain randomisation existed (the
  // benchmark's seeds must keep giving the same slices).
  PhantomOptions o;
  Phantom a = GeneratePhantom(42, o), b = GeneratePhantom(3, o);
  EXPECT_EQ(Fingerprint(a), 17025579495831781439ull);
  EXPECT_EQ(a.lesions.size(), 4u);
  EXPECT_EQ(Fingerprint(b), 2158312087116840310ull);
  EXPECT_EQ(b.lesions.size(), 2u);
}

TEST(ContrastPhaseTest, DensitiesFollowThePhase) {
  Rng rng(7);
  std::map<Phase, std::vector<PhaseDensities>> by;
  for (Phase ph : AllPhases()) {
    for (int i = 0; i < 300; ++i) by[ph].push_back(SampleDensities(ph, false, rng));
  }
  auto max_of = [&](Phase ph, double PhaseDensities::*f) {
    double m = -1e9;
    for (const auto& d : by[ph]) m = std::max(m, d.*f);
    return m;
  };
  auto min_of = [&](Phase ph, double PhaseDensities::*f) {
    double m = 1e9;
    for (const auto& d : by[ph]) m = std::min(m, d.*f);
    return m;
  };
  // Unenhanced liver 50–70 HU; portal-venous 85–130 HU (enhancement 35–60).
  EXPECT_GE(min_of(Phase::kUnenhanced, &PhaseDensities::liver), 50);
  EXPECT_LE(max_of(Phase::kUnenhanced, &PhaseDensities::liver), 70);
  EXPECT_GE(min_of(Phase::kPortalVenous, &PhaseDensities::liver), 85);
  EXPECT_LE(max_of(Phase::kPortalVenous, &PhaseDensities::liver), 130);
  // The aorta is brightest in the arterial phase: every arterial draw (≥ 235)
  // above every portal-venous one (≤ 200), which is above every unenhanced one.
  EXPECT_GT(min_of(Phase::kArterial, &PhaseDensities::aorta), max_of(Phase::kPortalVenous, &PhaseDensities::aorta));
  EXPECT_GT(min_of(Phase::kPortalVenous, &PhaseDensities::aorta), max_of(Phase::kUnenhanced, &PhaseDensities::aorta));
  for (const auto& d : by[Phase::kArterial]) {
    EXPECT_GT(d.kidney_cortex, d.kidney_medulla + 60);  // corticomedullary phase
  }
  for (const auto& d : by[Phase::kPortalVenous]) {
    EXPECT_GT(d.portal_vein, d.liver);
    EXPECT_GT(d.hepatic_vein, d.liver - 5);
  }
  for (const auto& d : by[Phase::kUnenhanced]) {
    EXPECT_EQ(d.aorta, std::clamp(d.aorta, 35.0, 50.0));
  }
  EXPECT_GE(min_of(Phase::kDelayed, &PhaseDensities::bladder), 150);  // excreted contrast
  // Fatty liver is darker than any normal unenhanced liver.
  for (int i = 0; i < 100; ++i) EXPECT_LT(SampleDensities(Phase::kUnenhanced, true, rng).liver, 50);
  EXPECT_FALSE(ParsePhase("venous").ok());
  EXPECT_EQ(*ParsePhase("portal_venous"), Phase::kPortalVenous);
}

PhantomOptions Randomized(int size = 256) {
  PhantomOptions o;
  o.size = size;
  o.randomize_domain = true;
  return o;
}

TEST(RandomizedPhantomTest, DeterministicPerSeedAndDifferentFromLegacy) {
  Phantom a = GeneratePhantom(11, Randomized()), b = GeneratePhantom(11, Randomized()),
          c = GeneratePhantom(12, Randomized());
  EXPECT_EQ(a.hu.data, b.hu.data);
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_EQ(a.phase, b.phase);
  EXPECT_NE(a.hu.data, c.hu.data);
  PhantomOptions legacy;
  legacy.size = 256;
  EXPECT_NE(GeneratePhantom(11, legacy).hu.data, a.hu.data);
}

TEST(RandomizedPhantomTest, CoversPhasesRegionsSpacingsAndOtherOrgans) {
  std::map<Phase, int> phases;
  std::map<Region, int> regions;
  int fatty = 0, other = 0;
  double min_spacing = 9, max_spacing = 0;
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    PhantomOptions o = Randomized(512);
    o.no_liver_fraction = 0.2;
    Phantom p = GeneratePhantom(seed, o);
    ++phases[p.phase];
    ++regions[p.region];
    fatty += p.fatty_liver;
    other += !p.other_lesions.empty();
    min_spacing = std::min(min_spacing, p.spacing_mm);
    max_spacing = std::max(max_spacing, p.spacing_mm);
    if (p.region != Region::kLiver) {
      EXPECT_TRUE(p.lesions.empty());
      EXPECT_EQ(std::count(p.liver.begin(), p.liver.end(), 1), 0) << seed;
    }
  }
  for (Phase ph : AllPhases()) EXPECT_GT(phases[ph], 12) << PhaseName(ph);
  EXPECT_GT(regions[Region::kChest], 3);
  EXPECT_GT(regions[Region::kPelvis], 3);
  EXPECT_GT(fatty, 5);
  EXPECT_GT(other, 20);
  EXPECT_GE(min_spacing, 0.5);
  EXPECT_LT(min_spacing, 0.6);
  EXPECT_LE(max_spacing, 1.0);
  EXPECT_GT(max_spacing, 0.9);
}

TEST(RandomizedPhantomTest, LesionContrastIsRelativeToTheLiverInEveryPhase) {
  int checked = 0;
  for (Phase ph : AllPhases()) {
    for (uint64_t seed = 1; seed <= 12; ++seed) {
      PhantomOptions o = Randomized(512);
      o.phases = {ph};
      o.no_liver_fraction = 0;
      o.min_lesions = 2;
      Phantom p = GeneratePhantom(seed, o);
      ASSERT_EQ(p.phase, ph);
      std::vector<double> liver;
      for (size_t i = 0; i < p.labels.size(); ++i) {
        if (p.liver[i] && !p.labels[i]) liver.push_back(p.hu.data[i]);
      }
      ASSERT_GT(liver.size(), 1000u) << seed;
      const double liver_median = Median(liver);
      // Vessels and noise move the median little; the calibration offset ≤ 6 HU.
      EXPECT_NEAR(liver_median, p.liver_hu, 10) << PhaseName(ph) << " seed " << seed;
      for (size_t k = 0; k < p.lesions.size(); ++k) {
        const Lesion& l = p.lesions[k];
        ASSERT_TRUE(l.attenuation != Attenuation::kRimEnhancing || PhaseAllowsRimEnhancement(ph));
        if (l.attenuation == Attenuation::kRimEnhancing || l.area_px < 150) continue;
        std::vector<double> in;
        for (size_t i = 0; i < p.labels.size(); ++i) {
          if (p.labels[i] == l.id) {
            ASSERT_TRUE(p.liver[i]);
            in.push_back(p.hu.data[i]);
          }
        }
        const double m = Median(in);
        if (l.attenuation == Attenuation::kHypodense) {
          EXPECT_LT(m, liver_median - 12) << PhaseName(ph);
        } else {
          EXPECT_GT(m, liver_median + 12) << PhaseName(ph);
        }
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 30);
}

TEST(RandomizedPhantomTest, PortalVenousLiverIsBrighterThanUnenhanced) {
  std::vector<double> unenhanced, portal;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    PhantomOptions o = Randomized(128);
    o.phases = {Phase::kUnenhanced};
    Phantom u = GeneratePhantom(seed, o);
    o.phases = {Phase::kPortalVenous};
    Phantom v = GeneratePhantom(seed, o);
    if (!u.fatty_liver) unenhanced.push_back(u.liver_hu);
    if (!v.fatty_liver) portal.push_back(v.liver_hu);
  }
  EXPECT_GT(*std::min_element(portal.begin(), portal.end()), *std::max_element(unenhanced.begin(), unenhanced.end()));
}

}  // namespace
}  // namespace lsms::synth
