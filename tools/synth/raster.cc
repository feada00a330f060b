#include "tools/synth/raster.h"

#include <algorithm>
#include <cmath>

namespace lsms::synth {

double Uniform(Rng& r, double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(r); }

double BlobRadius(double base, double aspect, double angle, const std::vector<double>& harm,
                  double theta) {
  double t = theta - angle;
  double ex = std::cos(t), ey = std::sin(t) / aspect;
  double r = base / std::sqrt(ex * ex + ey * ey) * std::sqrt(aspect);
  double mod = 1.0;
  for (size_t k = 0; k + 1 < harm.size(); k += 2) {
    mod += harm[k] * std::cos((k / 2 + 2) * theta + harm[k + 1]);
  }
  return r * mod;
}

bool InBlob(double x, double y, double cx, double cy, double base, double aspect, double angle,
            const std::vector<double>& harm) {
  double dx = x - cx, dy = y - cy;
  double d = std::hypot(dx, dy);
  if (d < 1e-9) return true;
  return d <= BlobRadius(base, aspect, angle, harm, std::atan2(dy, dx));
}

void FillEllipse(Image* img, double cx, double cy, double rx, double ry, float hu,
                 std::vector<uint8_t>* mask) {
  int x0 = std::max(0, static_cast<int>(cx - rx - 1)), x1 = std::min(img->cols - 1, static_cast<int>(cx + rx + 1));
  int y0 = std::max(0, static_cast<int>(cy - ry - 1)), y1 = std::min(img->rows - 1, static_cast<int>(cy + ry + 1));
  for (int y = y0; y <= y1; ++y) {
    for (int x = x0; x <= x1; ++x) {
      double u = (x - cx) / rx, v = (y - cy) / ry;
      if (u * u + v * v <= 1.0) {
        img->data[static_cast<size_t>(y) * img->cols + x] = hu;
        if (mask) (*mask)[static_cast<size_t>(y) * img->cols + x] = 1;
      }
    }
  }
}

void GaussianBlur(Image* img, double sigma) {
  int rad = static_cast<int>(std::ceil(3 * sigma));
  std::vector<double> k(2 * rad + 1);
  double sum = 0;
  for (int i = -rad; i <= rad; ++i) sum += k[i + rad] = std::exp(-i * i / (2 * sigma * sigma));
  for (double& v : k) v /= sum;
  std::vector<float> tmp(img->data.size());
  const int w = img->cols, h = img->rows;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      double acc = 0;
      for (int i = -rad; i <= rad; ++i) acc += k[i + rad] * img->data[static_cast<size_t>(y) * w + std::clamp(x + i, 0, w - 1)];
      tmp[static_cast<size_t>(y) * w + x] = static_cast<float>(acc);
    }
  }
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      double acc = 0;
      for (int i = -rad; i <= rad; ++i) acc += k[i + rad] * tmp[static_cast<size_t>(std::clamp(y + i, 0, h - 1)) * w + x];
      img->data[static_cast<size_t>(y) * w + x] = static_cast<float>(acc);
    }
  }
}

}  // namespace lsms::synth
