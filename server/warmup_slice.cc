#include "server/warmup_slice.h"

#include <cstdint>

namespace lsms {
namespace {

void FillEllipse(Image* im, double cx, double cy, double rx, double ry, float hu) {
  for (int y = 0; y < im->rows; ++y) {
    const double v = (y - cy) / ry;
    for (int x = 0; x < im->cols; ++x) {
      const double u = (x - cx) / rx;
      if (u * u + v * v <= 1.0) im->data[static_cast<size_t>(y) * im->cols + x] = hu;
    }
  }
}

}  // namespace

Image WarmUpSlice() {
  constexpr int n = kWarmUpSliceSize;
  constexpr double mm = 1.0 / kWarmUpSpacingMm;  // pixels per mm
  Image im{n, n, std::vector<float>(static_cast<size_t>(n) * n, -1000.0f)};
  const double cx = n / 2.0, cy = n / 2.0 + 10;
  const double rx = 165 * mm * 0.95, ry = 115 * mm;                   // body
  FillEllipse(&im, cx, cy, rx, ry, -100.0f);                          // subcutaneous fat
  FillEllipse(&im, cx, cy, rx - 15 * mm, ry - 15 * mm, 50.0f);        // muscle wall
  FillEllipse(&im, cx, cy, rx - 24 * mm, ry - 24 * mm, -60.0f);       // intra-abdominal fat
  const double sy = cy + ry - 24 * mm - 28 * mm;                      // spine, canal, aorta
  FillEllipse(&im, cx, sy, 22 * mm, 20 * mm, 900.0f);
  FillEllipse(&im, cx, sy, 19 * mm, 17 * mm, 320.0f);
  FillEllipse(&im, cx, sy + 24 * mm, 8 * mm, 8 * mm, 20.0f);
  FillEllipse(&im, cx + 12 * mm, sy - 30 * mm, 12 * mm, 12 * mm, 40.0f);
  for (int side : {-1, 1}) FillEllipse(&im, cx + side * 60 * mm, sy - 5 * mm, 28 * mm, 38 * mm, 35.0f);  // kidneys
  FillEllipse(&im, cx + 0.62 * rx, cy + 0.15 * ry, 38 * mm, 52 * mm, 48.0f);                          // spleen
  // Liver: the right lobe on the image left, the left lobe toward the midline.
  const double lx = cx - 0.45 * rx, ly = cy - 0.05 * ry;
  FillEllipse(&im, lx, ly, 70 * mm, 62 * mm, 62.0f);
  FillEllipse(&im, cx - 0.05 * rx, ly - 0.35 * 70 * mm, 52 * mm, 27 * mm, 62.0f);
  FillEllipse(&im, lx + 10 * mm, ly - 12 * mm, 12 * mm, 12 * mm, 20.0f);  // the lesion
  // Noise from a fixed linear congruential sequence: ±10 HU, uniform.
  uint32_t state = 12345u;
  for (float& v : im.data) {
    if (v <= -1000.0f) continue;
    state = state * 1664525u + 1013904223u;
    v += static_cast<float>(state >> 8) / static_cast<float>(1u << 24) * 20.0f - 10.0f;
  }
  return im;
}

}  // namespace lsms
