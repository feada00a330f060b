// The domain-randomised phantom (lsms-synth --randomize_domain). Everything a
// hospital's scans vary in and a referring expression does not depend on is
// drawn per slice: contrast phase (tissue densities from contrast_phase.h),
// fatty liver, pixel spacing 0.5–1.0 mm (small fields of view cut the
// patient's left flank, never the liver side), body size, liver shape and
// craniocaudal level (dome: lung bases, heart, a large left lobe; inferior
// tip: a small right lobe beside the kidneys), other organs and their lesions,
// lesion shape and texture, reconstruction blur, white and correlated noise,
// a small calibration offset. Lesion densities are relative to the liver.
#include <algorithm>
#include <cmath>

#include "tools/synth/phantom.h"
#include "tools/synth/raster.h"

namespace lsms::synth {
namespace {

bool Chance(Rng& r, double p) { return Uniform(r, 0, 1) < p; }

// Fills the ellipse except where `keep` is set (organs never overwrite the
// liver); returns the number of pixels filled.
int64_t FillOutside(Image* img, const std::vector<uint8_t>& keep, double cx, double cy, double rx,
                    double ry, float hu) {
  int64_t n = 0;
  if (rx <= 0 || ry <= 0) return 0;
  int x0 = std::max(0, static_cast<int>(cx - rx - 1)), x1 = std::min(img->cols - 1, static_cast<int>(cx + rx + 1));
  int y0 = std::max(0, static_cast<int>(cy - ry - 1)), y1 = std::min(img->rows - 1, static_cast<int>(cy + ry + 1));
  for (int y = y0; y <= y1; ++y) {
    for (int x = x0; x <= x1; ++x) {
      double u = (x - cx) / rx, v = (y - cy) / ry;
      size_t i = static_cast<size_t>(y) * img->cols + x;
      if (u * u + v * v <= 1.0 && !keep[i]) {
        img->data[i] = hu;
        ++n;
      }
    }
  }
  return n;
}

// Anatomy shared by every region, in pixels.
struct Body {
  double cx, cy, rx, ry, fat, wall, mm, scale;
  double spine_x, spine_y;
};

Body DrawBody(Phantom* p, const PhaseDensities& d, Rng& rng) {
  const int n = p->size;
  Body b;
  b.mm = 1.0 / p->spacing_mm;
  b.scale = Uniform(rng, 0.8, 1.25);
  b.rx = Uniform(rng, 150, 175) * b.scale * b.mm;
  b.ry = Uniform(rng, 105, 128) * b.scale * b.mm;
  b.cx = n / 2.0 + Uniform(rng, -10, 10) * b.mm;
  b.cy = n / 2.0 + Uniform(rng, 0, 15) * b.mm;
  // A field of view smaller than the patient is centred on the liver side.
  if (b.rx > 0.47 * n) b.cx += b.rx - 0.47 * n;
  b.fat = Uniform(rng, 5, 30) * b.scale * b.mm;
  b.wall = Uniform(rng, 5, 12) * b.mm;
  FillEllipse(&p->hu, b.cx, b.cy, b.rx, b.ry, static_cast<float>(Uniform(rng, -115, -85)));
  FillEllipse(&p->hu, b.cx, b.cy, b.rx - b.fat, b.ry - b.fat, static_cast<float>(d.muscle));
  FillEllipse(&p->hu, b.cx, b.cy, b.rx - b.fat - b.wall, b.ry - b.fat - b.wall,
              static_cast<float>(Uniform(rng, -100, -50)));
  b.spine_x = b.cx + Uniform(rng, -4, 4) * b.mm;
  b.spine_y = b.cy + b.ry - b.fat - b.wall - 28 * b.scale * b.mm;
  return b;
}

void DrawSpineAndVessels(Phantom* p, const PhaseDensities& d, const Body& b, Rng& rng) {
  const double mm = b.mm, s = b.scale;
  FillEllipse(&p->hu, b.spine_x, b.spine_y, 22 * s * mm, 20 * s * mm, static_cast<float>(Uniform(rng, 700, 1000)));
  FillEllipse(&p->hu, b.spine_x, b.spine_y, 19 * s * mm, 17 * s * mm, static_cast<float>(Uniform(rng, 150, 350)));
  FillEllipse(&p->hu, b.spine_x, b.spine_y + 24 * s * mm, 8 * mm, 8 * mm, static_cast<float>(Uniform(rng, 10, 30)));
  const double ar = Uniform(rng, 10, 14) * mm;
  FillEllipse(&p->hu, b.spine_x + 12 * s * mm, b.spine_y - 30 * s * mm, ar, ar, static_cast<float>(d.aorta));
}

void DrawRibs(Phantom* p, const Body& b, Rng& rng, double from, double to) {
  const int ribs = std::uniform_int_distribution<int>(6, 12)(rng);
  for (int k = 0; k < ribs; ++k) {
    double t = Uniform(rng, from, to);
    double rr = 1 - (b.fat + b.wall * 0.5) / std::min(b.rx, b.ry);
    FillEllipse(&p->hu, b.cx + b.rx * rr * std::cos(t), b.cy + b.ry * rr * std::sin(t), Uniform(rng, 3, 6) * b.mm,
                Uniform(rng, 3, 6) * b.mm, static_cast<float>(Uniform(rng, 300, 750)));
  }
}

// Lungs (bases at the dome, whole at the chest level), with a chance of a nodule.
void DrawLungs(Phantom* p, const Body& b, double extent, const PhantomOptions& opt, Rng& rng) {
  if (extent <= 0.05) return;
  p->organs.push_back("lung");
  const double mm = b.mm;
  for (int side : {-1, 1}) {  // -1: image left = patient right
    double cx = b.cx + side * 0.5 * b.rx, cy = b.cy + (0.25 - 0.15 * extent) * b.ry;
    double rx = 0.34 * b.rx * extent, ry = 0.55 * b.ry * extent;
    FillEllipse(&p->hu, cx, cy, rx, ry, static_cast<float>(Uniform(rng, -880, -800)));
    if (Chance(rng, opt.other_lesion_rate * 0.5) && rx > 15 * mm) {
      double dmm = Uniform(rng, 4, 18);
      FillEllipse(&p->hu, cx + Uniform(rng, -0.4, 0.4) * rx, cy + Uniform(rng, -0.4, 0.4) * ry, dmm / 2 * mm,
                  dmm / 2 * mm, static_cast<float>(Uniform(rng, 10, 50)));
      p->other_lesions.push_back({"lung", side < 0, dmm});
    }
  }
}

void DrawHeart(Phantom* p, const PhaseDensities& d, const Body& b, double extent, Rng& rng) {
  if (extent <= 0.05) return;
  p->organs.push_back("heart");
  double cx = b.cx + 0.12 * b.rx, cy = b.cy - 0.25 * b.ry;
  double rx = 0.32 * b.rx * extent, ry = 0.35 * b.ry * extent;
  FillEllipse(&p->hu, cx, cy, rx, ry, static_cast<float>(d.muscle));
  FillEllipse(&p->hu, cx + 0.1 * rx, cy, 0.7 * rx, 0.65 * ry, static_cast<float>(d.aorta + Uniform(rng, -20, 0)));
}

void DrawBowel(Phantom* p, const std::vector<uint8_t>& keep, const PhaseDensities& d, const Body& b, Rng& rng,
               int count) {
  for (int i = 0; i < count; ++i) {
    double cx = b.cx + Uniform(rng, -0.2, 0.55) * b.rx, cy = b.cy + Uniform(rng, -0.65, 0.1) * b.ry;
    double rx = Uniform(rng, 9, 22) * b.mm, ry = Uniform(rng, 7, 16) * b.mm;
    FillOutside(&p->hu, keep, cx, cy, rx, ry, static_cast<float>(d.bowel_wall));
    double content = Chance(rng, 0.4) ? Uniform(rng, -950, -850) : Uniform(rng, -5, 30);
    FillOutside(&p->hu, keep, cx, cy, rx * 0.6, ry * 0.55, static_cast<float>(content));
  }
}

void DrawKidneys(Phantom* p, const std::vector<uint8_t>& keep, const PhaseDensities& d, const Body& b,
                 double extent, const PhantomOptions& opt, Rng& rng) {
  if (extent <= 0.1) return;
  bool any = false;
  for (int side : {-1, 1}) {
    if (!Chance(rng, 0.95)) continue;
    const double mm = b.mm;
    double cx = b.spine_x + side * 60 * b.scale * mm, cy = b.spine_y - 5 * mm;
    double rx = Uniform(rng, 24, 32) * mm * extent, ry = Uniform(rng, 34, 42) * mm * extent;
    if (FillOutside(&p->hu, keep, cx, cy, rx, ry, static_cast<float>(d.kidney_cortex)) == 0) continue;
    any = true;
    FillOutside(&p->hu, keep, cx + side * 0.1 * rx, cy, 0.55 * rx, 0.6 * ry, static_cast<float>(d.kidney_medulla));
    FillOutside(&p->hu, keep, cx - side * 0.35 * rx, cy, 0.25 * rx, 0.3 * ry, static_cast<float>(Uniform(rng, -90, -40)));
    if (Chance(rng, opt.other_lesion_rate)) {
      double dmm = Uniform(rng, 6, 30);
      double r = std::min(dmm / 2 * mm, 0.8 * rx);
      if (FillOutside(&p->hu, keep, cx + Uniform(rng, -0.4, 0.4) * rx, cy + Uniform(rng, -0.5, 0.5) * ry, r, r,
                      static_cast<float>(Uniform(rng, -5, 15))) > 0) {
        p->other_lesions.push_back({"kidney", side < 0, 2 * r / mm});
      }
    }
  }
  if (any) p->organs.push_back("kidney");
}

void DrawSpleen(Phantom* p, const std::vector<uint8_t>& keep, const PhaseDensities& d, const Body& b,
                double extent, const PhantomOptions& opt, Rng& rng) {
  if (extent <= 0.1) return;
  const double mm = b.mm;
  double cx = b.cx + 0.6 * b.rx, cy = b.cy + 0.12 * b.ry;
  double rx = Uniform(rng, 25, 45) * mm * extent, ry = Uniform(rng, 40, 60) * mm * extent;
  if (FillOutside(&p->hu, keep, cx, cy, rx, ry, static_cast<float>(d.spleen)) == 0) return;
  p->organs.push_back("spleen");
  if (d.phase == Phase::kArterial) {  // arciform (moiré) enhancement
    for (int k = 0; k < 4; ++k) {
      FillOutside(&p->hu, keep, cx + Uniform(rng, -0.5, 0.5) * rx, cy + Uniform(rng, -0.6, 0.6) * ry, 0.3 * rx,
                  0.2 * ry, static_cast<float>(d.spleen - Uniform(rng, 20, 45)));
    }
  }
  if (Chance(rng, opt.other_lesion_rate)) {
    double dmm = Uniform(rng, 6, 25);
    double r = std::min(dmm / 2 * mm, 0.7 * rx);
    if (FillOutside(&p->hu, keep, cx + Uniform(rng, -0.3, 0.3) * rx, cy + Uniform(rng, -0.4, 0.4) * ry, r, r,
                    static_cast<float>(d.spleen - Uniform(rng, 30, 60))) > 0) {
      p->other_lesions.push_back({"spleen", false, 2 * r / mm});
    }
  }
}

// Liver mask at the slice level; returns {right-lobe centre x, y, radius}.
struct LiverShape {
  double cx, cy, r;
};
LiverShape DrawLiverMask(Phantom* p, const Body& b, Rng& rng) {
  const int n = p->size;
  const double lv = p->level;
  const double at_level = lv < 0.35 ? 0.65 + 0.35 * lv / 0.35 : 1.0 - 0.5 * (lv - 0.35) / 0.65;
  LiverShape s;
  s.r = std::max(18.0, Uniform(rng, 58, 82) * std::pow(b.scale, 0.7) * at_level) * b.mm;
  s.cx = b.cx - (0.45 + 0.1 * std::max(0.0, lv - 0.6)) * b.rx + Uniform(rng, -8, 8) * b.mm;
  s.cy = b.cy - 0.05 * b.ry + Uniform(rng, -10, 10) * b.mm;
  std::vector<double> harm;
  for (int k = 0; k < 4; ++k) {
    harm.push_back(Uniform(rng, 0, 0.1));
    harm.push_back(Uniform(rng, 0, 6.283));
  }
  const double aspect = Uniform(rng, 0.7, 1.0), angle = Uniform(rng, 0, 0.7);
  const double left = lv < 0.65 ? 1.0 - lv / 0.65 : 0.0;
  const double erx = Uniform(rng, 30, 65) * b.mm * left, ery = Uniform(rng, 15, 32) * b.mm * (0.6 + 0.4 * left);
  const double ecx = b.cx - 0.05 * b.rx + Uniform(rng, -10, 10) * b.mm, ecy = s.cy - 0.35 * s.r;
  const double wall_in = b.fat + b.wall + 2 * b.mm;
  for (int y = 0; y < n; ++y) {
    for (int x = 0; x < n; ++x) {
      double u = (x - b.cx) / (b.rx - wall_in), v = (y - b.cy) / (b.ry - wall_in);
      if (u * u + v * v > 1.0) continue;
      bool in = InBlob(x, y, s.cx, s.cy, s.r, aspect, angle, harm);
      if (!in && erx > 8 * b.mm) {
        double eu = (x - ecx) / erx, ev = (y - ecy) / ery;
        in = eu * eu + ev * ev <= 1.0 && x < b.cx + 0.15 * b.rx;
      }
      if (in) p->liver[static_cast<size_t>(y) * n + x] = 1;
    }
  }
  return s;
}

void PaintLesions(Phantom* p, const PhaseDensities& d, Rng& rng) {
  const int n = p->size;
  for (const auto& l : p->lesions) {
    const double rim = std::max(1.5, Uniform(rng, 1.5, 4) / p->spacing_mm);
    const double delta = l.attenuation == Attenuation::kHyperdense ? l.contrast_hu : -l.contrast_hu;
    const double rim_hu = d.liver + Uniform(rng, RimContrast().lo, RimContrast().hi);
    const double texture = Uniform(rng, 0, 10);
    std::normal_distribution<double> grain(0.0, 1.0);
    for (size_t i = 0; i < p->labels.size(); ++i) {
      if (p->labels[i] != l.id) continue;
      double hu = d.liver + delta;
      if (l.attenuation == Attenuation::kRimEnhancing) {
        int x = static_cast<int>(i % n), y = static_cast<int>(i / n);
        double dist = std::hypot(x - l.cx, y - l.cy);
        double edge = BlobRadius(l.radius, l.aspect, l.angle, l.harmonics, std::atan2(y - l.cy, x - l.cx));
        hu = edge - dist < rim ? rim_hu : d.liver - l.contrast_hu;
      }
      p->hu.data[i] = static_cast<float>(hu + texture * grain(rng));
    }
  }
}

void PlaceLesions(Phantom* p, const PhaseDensities& d, const LiverShape& s, const PhantomOptions& opt, Rng& rng) {
  const int n = p->size;
  const double mm = 1.0 / p->spacing_mm;
  std::uniform_int_distribution<int> count_dist(opt.min_lesions, opt.max_lesions);
  const int want = count_dist(rng);
  for (int attempt = 0; attempt < 400 && static_cast<int>(p->lesions.size()) < want; ++attempt) {
    Lesion l;
    // Sizes log-uniform up to what the liver section can hold.
    const double max_d = std::max(opt.min_diameter_mm * 1.5, std::min(opt.max_diameter_mm, 1.2 * s.r / mm));
    double dmm = std::exp(Uniform(rng, std::log(opt.min_diameter_mm), std::log(max_d)));
    l.radius = dmm / 2 * mm;
    l.cx = s.cx + Uniform(rng, -0.9, 0.8) * s.r;
    l.cy = s.cy + Uniform(rng, -0.85, 0.85) * s.r;
    l.aspect = Uniform(rng, 0.6, 1.0);
    l.angle = Uniform(rng, 0, 3.1416);
    for (int k = 0; k < 3; ++k) {
      l.harmonics.push_back(Uniform(rng, 0, 0.15 / (k + 1)));
      l.harmonics.push_back(Uniform(rng, 0, 6.283));
    }
    bool ok = std::abs(l.cx - p->lobe_divide_x) > l.radius + 4 * mm;
    for (int k = 0; k < 16 && ok; ++k) {
      double t = k * 3.14159 / 8;
      int x = static_cast<int>(l.cx + 1.2 * l.radius * std::cos(t)), y = static_cast<int>(l.cy + 1.2 * l.radius * std::sin(t));
      ok = x >= 0 && y >= 0 && x < n && y < n && p->liver[static_cast<size_t>(y) * n + x];
    }
    for (const auto& o : p->lesions) ok = ok && std::hypot(o.cx - l.cx, o.cy - l.cy) > o.radius + l.radius + 5 * mm;
    if (!ok) continue;
    const double r = Uniform(rng, 0, 1);
    if (PhaseAllowsRimEnhancement(d.phase)) {
      l.attenuation = r < 0.5 ? Attenuation::kHypodense : r < 0.8 ? Attenuation::kHyperdense : Attenuation::kRimEnhancing;
    } else {
      l.attenuation = r < 0.7 ? Attenuation::kHypodense : Attenuation::kHyperdense;
    }
    HuRange c = l.attenuation == Attenuation::kHyperdense ? HyperdenseContrast()
                : l.attenuation == Attenuation::kHypodense ? HypodenseContrast()
                                                           : RimCoreContrast();
    l.contrast_hu = std::abs(Uniform(rng, c.lo, c.hi));
    // Nothing in a liver is darker than fat-free fluid: in a fatty liver a
    // lesion that cannot be darker by 20 HU is hyperdense instead.
    if (l.attenuation == Attenuation::kHypodense && d.liver - l.contrast_hu < -10) {
      if (d.liver - 20 < -10) {
        l.attenuation = Attenuation::kHyperdense;
      } else {
        l.contrast_hu = d.liver + 10;
      }
    }
    l.id = static_cast<int>(p->lesions.size()) + 1;
    p->lesions.push_back(l);
  }
}

void FinishImage(Phantom* p, Rng& rng) {
  GaussianBlur(&p->hu, Uniform(rng, 0.3, 1.6));
  // Correlated (textured) noise: white noise blurred, rescaled to its own sd.
  Image grain;
  grain.rows = p->hu.rows;
  grain.cols = p->hu.cols;
  grain.data.resize(p->hu.data.size());
  std::normal_distribution<double> unit(0.0, 1.0);
  for (float& v : grain.data) v = static_cast<float>(unit(rng));
  const double corr_sigma = Uniform(rng, 0.8, 2.5);
  GaussianBlur(&grain, corr_sigma);
  const double corr_sd = Uniform(rng, 0, 12) * 2.0 * std::sqrt(M_PI) * corr_sigma;  // undo the blur's variance loss
  std::normal_distribution<double> white(0.0, Uniform(rng, 3, 18));
  const double offset = Uniform(rng, -6, 6);
  for (size_t i = 0; i < p->hu.data.size(); ++i) {
    double v = p->hu.data[i] + offset + corr_sd * grain.data[i] + white(rng);
    p->hu.data[i] = static_cast<float>(std::clamp(v, -1024.0, 3071.0));
  }
}

}  // namespace

Phantom GenerateRandomizedPhantom(uint64_t seed, const PhantomOptions& opt) {
  Rng rng(seed * 0xD1B54A32D192ED03ull + 0x5851F42D4C957F2Dull);
  Phantom p;
  p.size = opt.size;
  const int n = p.size;
  const std::vector<Phase>& phases = opt.phases.empty() ? AllPhases() : opt.phases;
  p.phase = phases[std::uniform_int_distribution<size_t>(0, phases.size() - 1)(rng)];
  p.region = Chance(rng, opt.no_liver_fraction) ? (Chance(rng, 0.5) ? Region::kChest : Region::kPelvis) : Region::kLiver;
  p.level = Uniform(rng, 0, 1);
  p.fatty_liver = Chance(rng, 0.15);
  const PhaseDensities d = SampleDensities(p.phase, p.fatty_liver, rng);
  p.liver_hu = d.liver;
  p.spacing_mm = Uniform(rng, 0.5, 1.0);
  p.hu.rows = p.hu.cols = n;
  p.hu.data.assign(static_cast<size_t>(n) * n, -1000.0f);
  p.liver.assign(static_cast<size_t>(n) * n, 0);

  const Body b = DrawBody(&p, d, rng);
  const double mm = b.mm;
  if (p.region == Region::kChest) {
    DrawLungs(&p, b, 1.0, opt, rng);
    DrawHeart(&p, d, b, 1.0, rng);
    DrawRibs(&p, b, rng, 0, 2 * M_PI);
    DrawSpineAndVessels(&p, d, b, rng);
  } else if (p.region == Region::kPelvis) {
    for (int side : {-1, 1}) {  // iliac wings
      FillEllipse(&p.hu, b.cx + side * 0.5 * b.rx, b.cy + 0.15 * b.ry, 18 * mm, 45 * mm, static_cast<float>(Uniform(rng, 500, 900)));
      FillEllipse(&p.hu, b.cx + side * 0.5 * b.rx, b.cy + 0.15 * b.ry, 12 * mm, 38 * mm, static_cast<float>(Uniform(rng, 150, 300)));
    }
    FillEllipse(&p.hu, b.cx, b.cy + 0.55 * b.ry, 35 * mm, 22 * mm, static_cast<float>(Uniform(rng, 200, 400)));
    DrawBowel(&p, p.liver, d, b, rng, std::uniform_int_distribution<int>(4, 9)(rng));
    FillEllipse(&p.hu, b.cx, b.cy - 0.25 * b.ry, Uniform(rng, 30, 60) * mm, Uniform(rng, 25, 45) * mm,
                static_cast<float>(d.bladder));
    p.organs = {"bladder", "bowel"};
  } else {
    DrawLungs(&p, b, p.level < 0.3 ? 0.6 * (1.0 - p.level / 0.3) : 0.0, opt, rng);
    DrawHeart(&p, d, b, p.level < 0.1 ? 1.0 - p.level / 0.1 : 0.0, rng);
    if (p.level < 0.7) DrawRibs(&p, b, rng, 0.6 * M_PI, 1.6 * M_PI);
    const LiverShape s = DrawLiverMask(&p, b, rng);
    DrawSpineAndVessels(&p, d, b, rng);
    FillOutside(&p.hu, p.liver, b.spine_x - 22 * b.scale * mm, b.spine_y - 28 * b.scale * mm, 12 * mm, 9 * mm,
                static_cast<float>(d.hepatic_vein));  // IVC
    DrawKidneys(&p, p.liver, d, b, p.level > 0.3 ? std::min(1.0, (p.level - 0.3) / 0.2) : 0.0, opt, rng);
    DrawSpleen(&p, p.liver, d, b, p.level < 0.75 ? 1.0 - std::max(0.0, p.level - 0.5) / 0.25 * 0.6 : 0.0, opt, rng);
    if (p.level < 0.5 && Chance(rng, 0.6)) {  // stomach
      FillOutside(&p.hu, p.liver, b.cx + 0.3 * b.rx, b.cy - 0.35 * b.ry, 35 * mm, 25 * mm, static_cast<float>(d.bowel_wall));
      FillOutside(&p.hu, p.liver, b.cx + 0.3 * b.rx, b.cy - 0.4 * b.ry, 28 * mm, 14 * mm, static_cast<float>(Uniform(rng, -950, -850)));
    }
    DrawBowel(&p, p.liver, d, b, rng, std::uniform_int_distribution<int>(2, 7)(rng));
    for (size_t i = 0; i < p.liver.size(); ++i) {
      if (p.liver[i]) p.hu.data[i] = static_cast<float>(d.liver);
    }
    p.lobe_divide_x = s.cx + 0.4 * s.r;
    p.hilum_x = s.cx + 0.35 * s.r;
    p.hilum_y = s.cy + 0.15 * s.r;
    if (p.level > 0.35 && p.level < 0.8 && Chance(rng, 0.5)) {  // gallbladder: out of the liver mask
      const double gx = s.cx + 0.45 * s.r, gy = s.cy + 0.4 * s.r, grx = Uniform(rng, 10, 18) * mm, gry = Uniform(rng, 15, 25) * mm;
      std::vector<uint8_t> gb(p.liver.size(), 0);
      FillEllipse(&p.hu, gx, gy, grx, gry, static_cast<float>(Uniform(rng, 0, 20)), &gb);
      for (size_t i = 0; i < gb.size(); ++i) p.liver[i] &= !gb[i];
      p.organs.push_back("gallbladder");
    }
    // Vessels inside the liver: the portal vein at the hilum, hepatic veins.
    if (p.level > 0.25 && p.level < 0.75) {
      FillEllipse(&p.hu, p.hilum_x, p.hilum_y, 7 * mm, 5 * mm, static_cast<float>(d.portal_vein));
    }
    const int veins = std::uniform_int_distribution<int>(3, 7)(rng);
    for (int i = 0; i < veins; ++i) {
      double vx = s.cx + Uniform(rng, -0.7, 0.5) * s.r, vy = s.cy + Uniform(rng, -0.6, 0.6) * s.r;
      if (vx < 0 || vy < 0 || vx >= n || vy >= n || !p.liver[static_cast<size_t>(vy) * n + static_cast<size_t>(vx)]) continue;
      double r = Uniform(rng, 1.5, 4) * mm;
      FillEllipse(&p.hu, vx, vy, r, r * Uniform(rng, 0.6, 1.0), static_cast<float>(d.hepatic_vein));
    }
    double sx = 0, sy = 0, cnt = 0;
    for (int y = 0; y < n; ++y) {
      for (int x = 0; x < n; ++x) {
        if (p.liver[static_cast<size_t>(y) * n + x]) sx += x, sy += y, ++cnt;
      }
    }
    p.liver_cx = cnt ? sx / cnt : s.cx;
    p.liver_cy = cnt ? sy / cnt : s.cy;
    PlaceLesions(&p, d, s, opt, rng);
  }
  FinalizeLesions(&p);
  PaintLesions(&p, d, rng);
  FinishImage(&p, rng);
  return p;
}

}  // namespace lsms::synth
