#include "tools/ood/ood_phantom.h"

#include <algorithm>
#include <cmath>

namespace lsms::ood {
namespace {

constexpr double kPi = 3.14159265358979323846;

// PCG32 (O'Neill 2014): this generator's own random stream.
class Pcg {
 public:
  explicit Pcg(uint64_t seed) : state_(0), inc_((seed << 1u) | 1u) {
    Next();
    state_ += 0x853C49E6748FEA9Bull ^ seed;
    Next();
  }
  uint32_t Next() {
    const uint64_t old = state_;
    state_ = old * 6364136223846793005ull + inc_;
    const uint32_t xorshifted = static_cast<uint32_t>(((old >> 18u) ^ old) >> 27u);
    const uint32_t rot = static_cast<uint32_t>(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((32 - rot) & 31));
  }
  double U(double lo, double hi) { return lo + (hi - lo) * (Next() / 4294967296.0); }
  bool Coin(double p) { return U(0, 1) < p; }
  int Int(int lo, int hi) { return lo + static_cast<int>(Next() % static_cast<uint32_t>(hi - lo + 1)); }
  double Normal() {  // Box–Muller
    const double u1 = std::max(U(0, 1), 1e-12), u2 = U(0, 1);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * kPi * u2);
  }

 private:
  uint64_t state_, inc_;
};

struct Pt {
  double x, y;
};
using Poly = std::vector<Pt>;

// Chaikin corner cutting of a closed polygon.
Poly Smooth(const Poly& p, int rounds) {
  Poly cur = p;
  for (int r = 0; r < rounds; ++r) {
    Poly next;
    for (size_t i = 0; i < cur.size(); ++i) {
      const Pt a = cur[i], b = cur[(i + 1) % cur.size()];
      next.push_back({0.75 * a.x + 0.25 * b.x, 0.75 * a.y + 0.25 * b.y});
      next.push_back({0.25 * a.x + 0.75 * b.x, 0.25 * a.y + 0.75 * b.y});
    }
    cur = std::move(next);
  }
  return cur;
}

// A lobulated closed shape: `n` vertices at radius r·(1 ± irregularity), smoothed.
Poly Lobulated(Pcg& g, double cx, double cy, double rx, double ry, double irregularity, int n, double tilt = 0) {
  Poly p;
  for (int i = 0; i < n; ++i) {
    const double a = 2 * kPi * (i + g.U(-0.3, 0.3)) / n;
    const double k = 1 + irregularity * g.U(-1, 1);
    const double x = rx * k * std::cos(a), y = ry * k * std::sin(a);
    p.push_back({cx + x * std::cos(tilt) - y * std::sin(tilt), cy + x * std::sin(tilt) + y * std::cos(tilt)});
  }
  return Smooth(p, 3);
}

// Even-odd scanline fill of a closed polygon; calls f(x, y) per pixel centre inside.
template <typename F>
void Fill(const Poly& poly, int size, F f) {
  double y0 = 1e9, y1 = -1e9;
  for (const Pt& q : poly) y0 = std::min(y0, q.y), y1 = std::max(y1, q.y);
  for (int y = std::max(0, static_cast<int>(std::floor(y0))); y <= std::min(size - 1, static_cast<int>(y1)); ++y) {
    const double yc = y + 0.5;
    std::vector<double> xs;
    for (size_t i = 0; i < poly.size(); ++i) {
      const Pt a = poly[i], b = poly[(i + 1) % poly.size()];
      if ((a.y <= yc) != (b.y <= yc)) xs.push_back(a.x + (yc - a.y) * (b.x - a.x) / (b.y - a.y));
    }
    std::sort(xs.begin(), xs.end());
    for (size_t k = 0; k + 1 < xs.size(); k += 2) {
      const int xa = std::max(0, static_cast<int>(std::ceil(xs[k] - 0.5)));
      const int xb = std::min(size - 1, static_cast<int>(std::floor(xs[k + 1] - 0.5)));
      for (int x = xa; x <= xb; ++x) f(x, y);
    }
  }
}

// |x/a|^p + |y/b|^p <= 1 (p = 2: an ellipse; larger: boxier).
template <typename F>
void FillSuper(int size, double cx, double cy, double a, double b, double p, F f) {
  for (int y = std::max(0, static_cast<int>(cy - b)); y <= std::min(size - 1, static_cast<int>(cy + b)); ++y) {
    for (int x = std::max(0, static_cast<int>(cx - a)); x <= std::min(size - 1, static_cast<int>(cx + a)); ++x) {
      if (std::pow(std::abs((x + 0.5 - cx) / a), p) + std::pow(std::abs((y + 0.5 - cy) / b), p) <= 1) f(x, y);
    }
  }
}

// Lattice value noise in [-1, 1], bilinear between random nodes `cell` px apart.
std::vector<float> ValueNoise(Pcg& g, int size, double cell) {
  const int nodes = static_cast<int>(size / cell) + 2;
  std::vector<double> lattice(static_cast<size_t>(nodes) * nodes);
  for (double& v : lattice) v = g.U(-1, 1);
  std::vector<float> out(static_cast<size_t>(size) * size);
  for (int y = 0; y < size; ++y) {
    const double fy = y / cell;
    const int iy = static_cast<int>(fy);
    const double ty = fy - iy;
    for (int x = 0; x < size; ++x) {
      const double fx = x / cell;
      const int ix = static_cast<int>(fx);
      const double tx = fx - ix;
      auto at = [&](int i, int j) { return lattice[static_cast<size_t>(j) * nodes + i]; };
      const double top = at(ix, iy) * (1 - tx) + at(ix + 1, iy) * tx;
      const double bottom = at(ix, iy + 1) * (1 - tx) + at(ix + 1, iy + 1) * tx;
      out[static_cast<size_t>(y) * size + x] = static_cast<float>(top * (1 - ty) + bottom * ty);
    }
  }
  return out;
}

void BoxBlur3(Image* img) {
  const int n = img->cols;
  std::vector<float> out(img->data.size());
  for (int y = 0; y < img->rows; ++y) {
    for (int x = 0; x < n; ++x) {
      double s = 0;
      for (int dy = -1; dy <= 1; ++dy) {
        for (int dx = -1; dx <= 1; ++dx) {
          s += img->data[static_cast<size_t>(std::clamp(y + dy, 0, img->rows - 1)) * n + std::clamp(x + dx, 0, n - 1)];
        }
      }
      out[static_cast<size_t>(y) * n + x] = static_cast<float>(s / 9);
    }
  }
  img->data = std::move(out);
}

// This generator's density table: (lo, hi) HU per tissue and phase.
struct Densities {
  double liver, spleen, kidney_cortex, kidney_medulla, aorta, portal, hepatic_vein, muscle;
};
Densities DrawDensities(Pcg& g, OodPhase phase) {
  switch (phase) {
    case OodPhase::kUnenhanced:
      return {g.U(52, 66), g.U(42, 50), g.U(30, 38), g.U(28, 35), g.U(38, 48), g.U(38, 46), g.U(34, 44), g.U(45, 55)};
    case OodPhase::kArterial:
      return {g.U(68, 84), g.U(110, 140), g.U(160, 220), g.U(50, 80), g.U(260, 360), g.U(110, 150), g.U(40, 60), g.U(50, 60)};
    case OodPhase::kPortalVenous:
      return {g.U(95, 125), g.U(115, 135), g.U(150, 190), g.U(140, 180), g.U(150, 190), g.U(160, 200), g.U(150, 190), g.U(55, 65)};
    case OodPhase::kDelayed:
      return {g.U(80, 100), g.U(85, 105), g.U(110, 150), g.U(120, 160), g.U(100, 125), g.U(95, 120), g.U(95, 120), g.U(52, 62)};
  }
  return {};
}

}  // namespace

const char* OodPhaseName(OodPhase p) {
  switch (p) {
    case OodPhase::kUnenhanced: return "unenhanced";
    case OodPhase::kArterial: return "arterial";
    case OodPhase::kPortalVenous: return "portal_venous";
    case OodPhase::kDelayed: return "delayed";
  }
  return "?";
}

OodSlice MakeOodSlice(uint64_t seed, const OodOptions& o) {
  Pcg g(seed * 2654435761ull + 97);
  OodSlice s;
  const int n = s.size = o.size;
  s.phase = o.phase;
  s.pixel_mm = g.U(0.62, 0.95);
  const double mm = 1.0 / s.pixel_mm;
  const Densities d = DrawDensities(g, o.phase);
  s.liver_hu = d.liver;
  s.hu.rows = s.hu.cols = n;
  s.hu.data.assign(static_cast<size_t>(n) * n, -1000.0f);
  s.liver_mask.assign(s.hu.data.size(), 0);
  s.lesion_labels.assign(s.hu.data.size(), 0);
  auto set = [&](float v) { return [&s, v, n](int x, int y) { s.hu.data[static_cast<size_t>(y) * n + x] = v; }; };
  auto set_outside_liver = [&](float v) {
    return [&s, v, n](int x, int y) {
      const size_t i = static_cast<size_t>(y) * n + x;
      if (!s.liver_mask[i]) s.hu.data[i] = v;
    };
  };

  // Body: a superellipse of fat, muscle, visceral fat.
  const double bx = n * 0.5 + g.U(-8, 8), by = n * 0.52 + g.U(-6, 10);
  const double ba = std::min(g.U(145, 185) * mm, n * 0.49), bb = std::min(g.U(100, 135) * mm, n * 0.45);
  const double p = g.U(2.2, 3.0), fat = g.U(6, 28) * mm, wall = g.U(6, 14) * mm;
  FillSuper(n, bx, by, ba, bb, p, set(static_cast<float>(g.U(-115, -85))));
  FillSuper(n, bx, by, ba - fat, bb - fat, p, set(static_cast<float>(d.muscle)));
  FillSuper(n, bx, by, ba - fat - wall, bb - fat - wall, p, set(static_cast<float>(g.U(-95, -60))));
  const double inner_a = ba - fat - wall, inner_b = bb - fat - wall;
  // Spine: a rounded square body, cortex and marrow, and a posterior arch.
  const double sx = bx + g.U(-5, 5) * mm, sy = by + inner_b - 30 * mm;
  FillSuper(n, sx, sy, 19 * mm, 16 * mm, 4, set(static_cast<float>(g.U(600, 900))));
  FillSuper(n, sx, sy, 15 * mm, 12 * mm, 4, set(static_cast<float>(g.U(180, 300))));
  Fill(Poly{{sx - 14 * mm, sy + 14 * mm}, {sx + 14 * mm, sy + 14 * mm}, {sx, sy + 34 * mm}}, n,
       set(static_cast<float>(g.U(500, 800))));

  s.has_liver = !g.Coin(o.no_liver_chance);
  if (!s.has_liver) {
    if (g.Coin(0.5)) {  // pelvis: iliac arcs, bladder, bowel
      for (int side : {-1, 1}) {
        Fill(Lobulated(g, bx + side * 0.55 * inner_a, by + 0.1 * inner_b, 14 * mm, 42 * mm, 0.1, 8, side * 0.4), n,
             set(static_cast<float>(g.U(450, 750))));
      }
      FillSuper(n, bx, by - 0.2 * inner_b, g.U(28, 55) * mm, g.U(22, 40) * mm, 2,
                set(static_cast<float>(o.phase == OodPhase::kDelayed ? g.U(200, 450) : g.U(2, 15))));
    } else {  // chest: lungs and heart
      for (int side : {-1, 1}) {
        Fill(Lobulated(g, bx + side * 0.45 * inner_a, by, 0.38 * inner_a, 0.75 * inner_b, 0.12, 10), n,
             set(static_cast<float>(g.U(-880, -790))));
      }
      FillSuper(n, bx + 0.1 * inner_a, by - 0.3 * inner_b, 45 * mm, 38 * mm, 2, set(static_cast<float>(d.aorta)));
    }
    for (int k = g.Int(2, 5); k > 0; --k) {
      FillSuper(n, bx + g.U(-0.5, 0.5) * inner_a, by + g.U(-0.6, 0.2) * inner_b, g.U(7, 15) * mm, g.U(7, 15) * mm, 2,
                set(static_cast<float>(g.Coin(0.5) ? g.U(-950, -850) : g.U(10, 35))));
    }
  } else {
    // Liver: a smoothed random polygon for the right lobe and one for the left.
    const double lr = g.U(62, 92) * mm;
    const double lx = bx - 0.5 * inner_a + 0.4 * lr * g.U(0.85, 1.1), ly = by - 0.1 * inner_b + g.U(-8, 8) * mm;
    Fill(Lobulated(g, lx, ly, lr, lr * g.U(0.75, 1.0), 0.12, 14, g.U(-0.4, 0.2)), n,
         [&](int x, int y) { s.liver_mask[static_cast<size_t>(y) * n + x] = 1; });
    if (g.Coin(0.8)) {
      Fill(Lobulated(g, lx + 0.9 * lr, ly - 0.45 * lr, 0.55 * lr, 0.3 * lr, 0.15, 10, g.U(-0.3, 0.2)), n,
           [&](int x, int y) { s.liver_mask[static_cast<size_t>(y) * n + x] = 1; });
    }
    // The liver stays inside the abdominal wall.
    for (int y = 0; y < n; ++y) {
      for (int x = 0; x < n; ++x) {
        const double u = std::abs((x + 0.5 - bx) / (inner_a - 2 * mm)), v = std::abs((y + 0.5 - by) / (inner_b - 2 * mm));
        if (std::pow(u, p) + std::pow(v, p) > 1) s.liver_mask[static_cast<size_t>(y) * n + x] = 0;
      }
    }
    // Gallbladder: carved out of the liver's inferior-medial edge.
    if (g.Coin(0.4)) {
      Fill(Lobulated(g, lx + 0.55 * lr, ly + 0.55 * lr, 12 * mm, 20 * mm, 0.08, 8, 0.5), n, [&](int x, int y) {
        const size_t i = static_cast<size_t>(y) * n + x;
        s.liver_mask[i] = 0;
        s.hu.data[i] = static_cast<float>(g.U(0, 15));
      });
    }
    // Other organs around the liver (never over it).
    FillSuper(n, sx + 20 * mm, sy - 32 * mm, 11 * mm, 11 * mm, 2, set_outside_liver(static_cast<float>(d.aorta)));
    FillSuper(n, sx - 22 * mm, sy - 30 * mm, 13 * mm, 9 * mm, 2, set_outside_liver(static_cast<float>(d.hepatic_vein)));
    for (int side : {-1, 1}) {  // kidneys: bean-ish polygons, cortex and medulla
      const double kx = sx + side * 68 * mm, ky = sy - 8 * mm;
      const double tilt = side * g.U(0.2, 0.5);
      Fill(Lobulated(g, kx, ky, 26 * mm, 38 * mm, 0.06, 10, tilt), n, set_outside_liver(static_cast<float>(d.kidney_cortex)));
      Fill(Lobulated(g, kx + side * 4 * mm, ky, 14 * mm, 24 * mm, 0.1, 8, tilt), n,
           set_outside_liver(static_cast<float>(d.kidney_medulla)));
      if (g.Coin(0.25)) {
        const double r = g.U(5, 13) * mm;
        FillSuper(n, kx - side * 10 * mm, ky + g.U(-15, 15) * mm, r, r, 2, set_outside_liver(static_cast<float>(g.U(0, 12))));
        s.other_findings.push_back("kidney cyst");
      }
    }
    const double spx = bx + 0.62 * inner_a, spy = by + 0.15 * inner_b;  // spleen: a crescent
    const double spr = g.U(30, 48) * mm;
    FillSuper(n, spx, spy, spr * 0.8, spr * 1.3, 2, set_outside_liver(static_cast<float>(d.spleen)));
    FillSuper(n, spx - spr * 0.7, spy, spr * 0.6, spr * 1.0, 2, set_outside_liver(static_cast<float>(g.U(-95, -60))));
    if (g.Coin(0.2)) {
      const double r = g.U(5, 10) * mm;
      FillSuper(n, spx + 0.2 * spr, spy + g.U(-0.4, 0.4) * spr, r, r, 2,
                set_outside_liver(static_cast<float>(d.spleen - g.U(35, 60))));
      s.other_findings.push_back("splenic lesion");
    }
    // Stomach with an air-fluid level.
    const double stx = bx + 0.25 * inner_a, sty = by - 0.45 * inner_b, str = g.U(22, 34) * mm;
    FillSuper(n, stx, sty, str, str * 0.8, 2, [&](int x, int y) {
      const size_t i = static_cast<size_t>(y) * n + x;
      if (!s.liver_mask[i]) s.hu.data[i] = y + 0.5 < sty - 0.2 * str ? -960.0f : 12.0f;
    });
    for (int k = g.Int(2, 5); k > 0; --k) {
      FillSuper(n, bx + g.U(-0.1, 0.5) * inner_a, by + g.U(-0.3, 0.3) * inner_b, g.U(6, 13) * mm, g.U(6, 13) * mm, 2,
                set_outside_liver(static_cast<float>(g.Coin(0.5) ? g.U(-950, -850) : g.U(15, 40))));
    }
    // Liver parenchyma with low-frequency texture, and vessels.
    const std::vector<float> tex = ValueNoise(g, n, g.U(12, 30));
    const double tex_amp = g.U(2, 8);
    for (size_t i = 0; i < s.hu.data.size(); ++i) {
      if (s.liver_mask[i]) s.hu.data[i] = static_cast<float>(d.liver + tex_amp * tex[i]);
    }
    for (int k = g.Int(2, 6); k > 0; --k) {
      const double vx = lx + g.U(-0.6, 0.6) * lr, vy = ly + g.U(-0.6, 0.6) * lr, vr = g.U(2, 5) * mm;
      FillSuper(n, vx, vy, vr, vr * g.U(0.5, 1.0), 2, [&](int x, int y) {
        const size_t i = static_cast<size_t>(y) * n + x;
        if (s.liver_mask[i]) s.hu.data[i] = static_cast<float>(k % 2 ? d.portal : d.hepatic_vein);
      });
    }
    // The lobe line: x = line_x + (y - ly)·slope; image-left of it is the right lobe.
    const double line_x = lx + g.U(0.15, 0.35) * lr, slope = g.U(-0.35, 0.1);
    auto line_at = [&](double y) { return line_x + (y - ly) * slope; };
    // Lesions: lobulated polygons wholly inside the liver, off the lobe line, apart.
    const int want = g.Int(1, 4);
    std::vector<Poly> placed;
    std::vector<Pt> centres;
    std::vector<double> radii;
    std::vector<size_t> liver_px;
    for (size_t i = 0; i < s.liver_mask.size(); ++i) {
      if (s.liver_mask[i]) liver_px.push_back(i);
    }
    for (int attempt = 0; attempt < 600 && !liver_px.empty() && static_cast<int>(placed.size()) < want; ++attempt) {
      // Large lesions are tried first; each attempt shrinks the range a little.
      const double hi = std::max(10.0, 60.0 - attempt * 0.1);
      const double dmm = std::exp(g.U(std::log(6.0), std::log(hi)));
      const double r = dmm / 2 * mm;
      const size_t at = liver_px[g.Next() % liver_px.size()];
      const Pt c{static_cast<double>(at % n) + 0.5, static_cast<double>(at / n) + 0.5};
      Poly shape = Lobulated(g, c.x, c.y, r, r * g.U(0.7, 1.0), 0.25, 10, g.U(0, kPi));
      bool ok = std::abs(c.x - line_at(c.y)) > r * 1.2 + 4 * mm;
      for (const Pt& q : shape) {
        const int qx = static_cast<int>(q.x), qy = static_cast<int>(q.y);
        ok = ok && qx > 2 && qy > 2 && qx < n - 3 && qy < n - 3;
        for (int dy = -3; dy <= 3 && ok; dy += 3) {
          for (int dx = -3; dx <= 3 && ok; dx += 3) ok = s.liver_mask[static_cast<size_t>(qy + dy) * n + qx + dx];
        }
      }
      for (size_t k = 0; k < centres.size() && ok; ++k) {
        ok = std::hypot(c.x - centres[k].x, c.y - centres[k].y) > 1.2 * (r + radii[k]) + 4 * mm;
      }
      if (!ok) continue;
      placed.push_back(shape);
      centres.push_back(c);
      radii.push_back(r);
    }
    for (size_t k = 0; k < placed.size(); ++k) {
      OodLesion l;
      l.label = static_cast<int>(k) + 1;
      const double u = g.U(0, 1);
      l.type = o.phase == OodPhase::kUnenhanced ? (u < 0.75 ? OodLesionType::kHypo : OodLesionType::kHyper)
                                                : (u < 0.5 ? OodLesionType::kHypo
                                                           : u < 0.75 ? OodLesionType::kHyper : OodLesionType::kRim);
      const double delta = l.type == OodLesionType::kHyper ? g.U(25, 55) : -g.U(25, 65);
      const double rim_hu = d.liver + g.U(30, 60), rim_px = g.U(2, 3.5) * mm;
      const double het = g.U(0, 8);
      const Pt c = centres[k];
      double area = 0;
      Fill(placed[k], n, [&](int x, int y) {
        const size_t i = static_cast<size_t>(y) * n + x;
        s.lesion_labels[i] = static_cast<uint8_t>(l.label);
        area += 1;
        double v = d.liver + delta + het * g.U(-1, 1);
        if (l.type == OodLesionType::kRim) {
          // Distance to the outline, approximated by the nearest vertex.
          double edge = 1e9;
          for (const Pt& q : placed[k]) edge = std::min(edge, std::hypot(x + 0.5 - q.x, y + 0.5 - q.y));
          v = edge < rim_px ? rim_hu : d.liver - g.U(30, 55);
        }
        s.hu.data[i] = static_cast<float>(v);
      });
      l.area_px = area;
      l.diameter_mm = 2 * std::sqrt(area / kPi) * s.pixel_mm;
      l.right_lobe = c.x < line_at(c.y);
      s.lesions.push_back(l);
    }
  }
  // Box blur (partial volume) and Gaussian noise.
  for (int k = g.Int(1, 2); k > 0; --k) BoxBlur3(&s.hu);
  const double sigma = g.U(6, 20);
  for (float& v : s.hu.data) v = static_cast<float>(std::clamp(v + sigma * g.Normal(), -1024.0, 3071.0));
  return s;
}

}  // namespace lsms::ood
