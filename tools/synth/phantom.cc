#include "tools/synth/phantom.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "tools/synth/raster.h"

namespace lsms::synth {

const char* AttenuationName(Attenuation a) {
  switch (a) {
    case Attenuation::kHypodense: return "hypodense";
    case Attenuation::kHyperdense: return "hyperdense";
    case Attenuation::kRimEnhancing: return "rim-enhancing";
  }
  return "?";
}

const char* RegionName(Region r) {
  switch (r) {
    case Region::kLiver: return "liver";
    case Region::kChest: return "chest";
    case Region::kPelvis: return "pelvis";
  }
  return "?";
}

std::vector<uint8_t> Phantom::MaskOf(const std::vector<int>& ids) const {
  std::vector<uint8_t> m(labels.size(), 0);
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] && std::find(ids.begin(), ids.end(), labels[i]) != ids.end()) m[i] = 1;
  }
  return m;
}

void FinalizeLesions(Phantom* p) {
  const int n = p->size;
  p->labels.assign(static_cast<size_t>(n) * n, 0);
  for (auto& l : p->lesions) {
    int64_t area = 0;
    double sx = 0, sy = 0;
    double reach = l.radius * 2.5 + 2;
    int x0 = std::max(0, static_cast<int>(l.cx - reach)), x1 = std::min(n - 1, static_cast<int>(l.cx + reach));
    int y0 = std::max(0, static_cast<int>(l.cy - reach)), y1 = std::min(n - 1, static_cast<int>(l.cy + reach));
    for (int y = y0; y <= y1; ++y) {
      for (int x = x0; x <= x1; ++x) {
        size_t i = static_cast<size_t>(y) * n + x;
        if (!p->liver[i] || p->labels[i]) continue;
        if (!InBlob(x, y, l.cx, l.cy, l.radius, l.aspect, l.angle, l.harmonics)) continue;
        p->labels[i] = static_cast<uint8_t>(l.id);
        ++area;
        sx += x;
        sy += y;
      }
    }
    l.area_px = area;
    l.area_mm2 = area * p->spacing_mm * p->spacing_mm;
    l.diameter_mm = 2.0 * std::sqrt(l.area_mm2 / M_PI);
    l.centroid_x = area ? sx / area : l.cx;
    l.centroid_y = area ? sy / area : l.cy;
    l.right_lobe = l.centroid_x < p->lobe_divide_x;
    l.hilum_distance_mm = std::hypot(l.centroid_x - p->hilum_x, l.centroid_y - p->hilum_y) * p->spacing_mm;
  }
}

Phantom GeneratePhantom(uint64_t seed, const PhantomOptions& opt) {
  if (opt.randomize_domain) return GenerateRandomizedPhantom(seed, opt);
  Rng rng(seed * 0x9E3779B97F4A7C15ull + 12345);
  Phantom p;
  p.size = opt.size;
  const int n = p.size;
  p.spacing_mm = Uniform(rng, 0.6, 0.9);
  const double mm = 1.0 / p.spacing_mm;  // pixels per mm
  p.hu.rows = p.hu.cols = n;
  p.hu.data.assign(static_cast<size_t>(n) * n, -1000.0f);
  p.liver.assign(static_cast<size_t>(n) * n, 0);

  // Body: subcutaneous fat, muscle wall, fatty interior.
  const double bcx = n / 2.0 + Uniform(rng, -10, 10), bcy = n / 2.0 + Uniform(rng, 0, 20);
  const double brx = std::min(Uniform(rng, 150, 175) * mm, n * 0.47);
  const double bry = std::min(Uniform(rng, 105, 125) * mm, n * 0.42);
  const double fat = Uniform(rng, 8, 22) * mm, wall = Uniform(rng, 6, 12) * mm;
  FillEllipse(&p.hu, bcx, bcy, brx, bry, static_cast<float>(Uniform(rng, -110, -90)));
  FillEllipse(&p.hu, bcx, bcy, brx - fat, bry - fat, static_cast<float>(Uniform(rng, 40, 60)));
  FillEllipse(&p.hu, bcx, bcy, brx - fat - wall, bry - fat - wall, static_cast<float>(Uniform(rng, -80, -40)));
  // Bowel loops: soft-tissue blobs in the anterior interior.
  for (int i = 0; i < 6; ++i) {
    FillEllipse(&p.hu, bcx + Uniform(rng, -0.1, 0.5) * brx, bcy + Uniform(rng, -0.6, 0.0) * bry,
                Uniform(rng, 10, 22) * mm, Uniform(rng, 8, 16) * mm,
                static_cast<float>(Uniform(rng, 10, 40)));
  }
  // Spine, canal, aorta, kidneys, spleen.
  const double scx = bcx + Uniform(rng, -4, 4) * mm, scy = bcy + bry - fat - wall - 28 * mm;
  FillEllipse(&p.hu, scx, scy, 22 * mm, 20 * mm, 900.0f);
  FillEllipse(&p.hu, scx, scy, 19 * mm, 17 * mm, static_cast<float>(Uniform(rng, 250, 400)));
  FillEllipse(&p.hu, scx, scy + 24 * mm, 8 * mm, 8 * mm, 20.0f);
  FillEllipse(&p.hu, scx + 12 * mm, scy - 30 * mm, 12 * mm, 12 * mm, static_cast<float>(Uniform(rng, 140, 200)));
  if (Uniform(rng, 0, 1) < 0.7) {
    for (int side : {-1, 1}) {
      FillEllipse(&p.hu, scx + side * 60 * mm, scy - 5 * mm, 28 * mm, 38 * mm, static_cast<float>(Uniform(rng, 140, 180)));
      FillEllipse(&p.hu, scx + side * 60 * mm, scy - 5 * mm, 12 * mm, 18 * mm, 30.0f);
    }
  }
  FillEllipse(&p.hu, bcx + 0.62 * brx, bcy + 0.15 * bry, Uniform(rng, 30, 45) * mm, Uniform(rng, 45, 60) * mm,
              static_cast<float>(Uniform(rng, 45, 55)));

  // Liver: a main (right-lobe) blob on the image left plus a left-lobe
  // extension toward the midline, anterior.
  p.liver_hu = Uniform(rng, 55, 70);
  const double lcx = bcx - 0.45 * brx + Uniform(rng, -6, 6) * mm;
  const double lcy = bcy - 0.05 * bry + Uniform(rng, -8, 8) * mm;
  const double lr = Uniform(rng, 62, 78) * mm;
  std::vector<double> lharm;
  for (int k = 0; k < 3; ++k) {
    lharm.push_back(Uniform(rng, 0, 0.06));
    lharm.push_back(Uniform(rng, 0, 6.283));
  }
  const double lasp = Uniform(rng, 0.8, 0.95);
  const double ecx = bcx - 0.05 * brx, ecy = lcy - 0.35 * lr, erx = Uniform(rng, 45, 60) * mm, ery = Uniform(rng, 22, 32) * mm;
  const double wall_in = fat + wall + 2 * mm;
  for (int y = 0; y < n; ++y) {
    for (int x = 0; x < n; ++x) {
      double u = (x - bcx) / (brx - wall_in), v = (y - bcy) / (bry - wall_in);
      if (u * u + v * v > 1.0) continue;  // stay inside the abdominal wall
      bool in = InBlob(x, y, lcx, lcy, lr, lasp, 0.3, lharm);
      double eu = (x - ecx) / erx, ev = (y - ecy) / ery;
      in = in || (eu * eu + ev * ev <= 1.0 && x < bcx + 0.15 * brx);
      if (in) {
        size_t i = static_cast<size_t>(y) * n + x;
        p.liver[i] = 1;
        p.hu.data[i] = static_cast<float>(p.liver_hu);
      }
    }
  }
  double sx = 0, sy = 0, cnt = 0;
  for (int y = 0; y < n; ++y) {
    for (int x = 0; x < n; ++x) {
      if (p.liver[static_cast<size_t>(y) * n + x]) {
        sx += x;
        sy += y;
        ++cnt;
      }
    }
  }
  p.liver_cx = sx / std::max(cnt, 1.0);
  p.liver_cy = sy / std::max(cnt, 1.0);
  p.lobe_divide_x = lcx + 0.4 * lr;
  p.hilum_x = lcx + 0.35 * lr;
  p.hilum_y = lcy + 0.15 * lr;
  // Portal vein at the hilum and a few hepatic vessels.
  FillEllipse(&p.hu, p.hilum_x, p.hilum_y, 7 * mm, 5 * mm, static_cast<float>(Uniform(rng, 150, 180)));
  for (int i = 0; i < 5; ++i) {
    double vx = lcx + Uniform(rng, -0.7, 0.5) * lr, vy = lcy + Uniform(rng, -0.6, 0.6) * lr;
    // Inside the image (a small --size cuts the body; reading past the mask
    // made small phantoms depend on the heap).
    if (vx >= 0 && vy >= 0 && vx < n && vy < n && p.liver[static_cast<size_t>(vy) * n + static_cast<size_t>(vx)]) {
      double r = Uniform(rng, 1.5, 3.5) * mm;
      FillEllipse(&p.hu, vx, vy, r, r, static_cast<float>(p.liver_hu + Uniform(rng, 60, 100)));
    }
  }

  // Lesions: placed inside the liver, apart from each other and from the lobe
  // boundary, so that every expression has one right answer.
  std::uniform_int_distribution<int> count_dist(opt.min_lesions, opt.max_lesions);
  const int want = count_dist(rng);
  for (int attempt = 0; attempt < 400 && static_cast<int>(p.lesions.size()) < want; ++attempt) {
    Lesion l;
    double d = std::exp(Uniform(rng, std::log(opt.min_diameter_mm), std::log(opt.max_diameter_mm)));
    l.radius = d / 2 * mm;
    l.cx = lcx + Uniform(rng, -0.85, 0.75) * lr;
    l.cy = lcy + Uniform(rng, -0.8, 0.8) * lr;
    l.aspect = Uniform(rng, 0.7, 1.0);
    l.angle = Uniform(rng, 0, 3.1416);
    for (int k = 0; k < 2; ++k) {
      l.harmonics.push_back(Uniform(rng, 0, 0.08));
      l.harmonics.push_back(Uniform(rng, 0, 6.283));
    }
    // Fully inside the liver (a ring of test points), clear of the divide.
    bool ok = std::abs(l.cx - p.lobe_divide_x) > l.radius + 4 * mm;
    for (int k = 0; k < 16 && ok; ++k) {
      double t = k * 3.14159 / 8;
      int x = static_cast<int>(l.cx + 1.15 * l.radius * std::cos(t)), y = static_cast<int>(l.cy + 1.15 * l.radius * std::sin(t));
      ok = x >= 0 && y >= 0 && x < n && y < n && p.liver[static_cast<size_t>(y) * n + x];
    }
    for (const auto& o : p.lesions) {
      ok = ok && std::hypot(o.cx - l.cx, o.cy - l.cy) > o.radius + l.radius + 5 * mm;
    }
    if (!ok) continue;
    double r = Uniform(rng, 0, 1);
    l.attenuation = r < 0.55 ? Attenuation::kHypodense : r < 0.8 ? Attenuation::kHyperdense : Attenuation::kRimEnhancing;
    l.contrast_hu = Uniform(rng, 35, 70);
    l.id = static_cast<int>(p.lesions.size()) + 1;
    p.lesions.push_back(l);
  }
  FinalizeLesions(&p);
  // Paint lesion intensities (rim: bright ring around a dark core).
  for (const auto& l : p.lesions) {
    const double rim = std::max(1.5, Uniform(rng, 2, 4) * mm);
    for (size_t i = 0; i < p.labels.size(); ++i) {
      if (p.labels[i] != l.id) continue;
      double hu = p.liver_hu;
      if (l.attenuation == Attenuation::kHypodense) hu -= l.contrast_hu;
      if (l.attenuation == Attenuation::kHyperdense) hu += l.contrast_hu;
      if (l.attenuation == Attenuation::kRimEnhancing) {
        int x = static_cast<int>(i % n), y = static_cast<int>(i / n);
        double dist = std::hypot(x - l.cx, y - l.cy);
        double edge = BlobRadius(l.radius, l.aspect, l.angle, l.harmonics, std::atan2(y - l.cy, x - l.cx));
        hu = edge - dist < rim ? p.liver_hu + 50 : p.liver_hu - 45;
      }
      p.hu.data[i] = static_cast<float>(hu);
    }
  }
  GaussianBlur(&p.hu, Uniform(rng, 0.6, 1.1));
  std::normal_distribution<double> noise(0.0, Uniform(rng, 6, 14));
  for (float& v : p.hu.data) v = static_cast<float>(std::clamp(v + noise(rng), -1024.0, 3071.0));
  return p;
}

}  // namespace lsms::synth
