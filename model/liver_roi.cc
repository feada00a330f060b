#include "model/liver_roi.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace lsms {

Letterbox IdentityGrid(int rows, int cols) {
  Letterbox b;
  b.size = std::max(rows, cols);
  b.rows = rows;
  b.cols = cols;
  b.scale = 1.0;
  return b;
}

std::optional<Letterbox> LiverRoi(const Image& map, const Letterbox& map_grid, int size,
                                  const LiverRoiOptions& options) {
  int x0 = map.cols, y0 = map.rows, x1 = -1, y1 = -1;
  double count = 0;
  for (int y = 0; y < map.rows; ++y) {
    for (int x = 0; x < map.cols; ++x) {
      if (map.at(y, x) < options.threshold) continue;
      x0 = std::min(x0, x);
      x1 = std::max(x1, x);
      y0 = std::min(y0, y);
      y1 = std::max(y1, y);
      ++count;
    }
  }
  // Area in original pixels: one map pixel covers 1/scale² of them.
  if (x1 < 0 || count / (map_grid.scale * map_grid.scale) < options.min_area_px) return std::nullopt;
  // Pixel-edge bounds in the original image, clamped to it.
  const double ox0 = std::clamp(map_grid.OriginalX(x0), 0.0, static_cast<double>(map_grid.cols));
  const double ox1 = std::clamp(map_grid.OriginalX(x1 + 1.0), 0.0, static_cast<double>(map_grid.cols));
  const double oy0 = std::clamp(map_grid.OriginalY(y0), 0.0, static_cast<double>(map_grid.rows));
  const double oy1 = std::clamp(map_grid.OriginalY(y1 + 1.0), 0.0, static_cast<double>(map_grid.rows));
  double side = std::max(ox1 - ox0, oy1 - oy0) * (1.0 + 2.0 * options.margin);
  side = std::max(side, options.min_side_px);
  // A region as large as the image gains nothing over the whole slice.
  if (side >= std::max(map_grid.rows, map_grid.cols)) return std::nullopt;
  return Letterbox::ForRegion(map_grid.rows, map_grid.cols, size, (ox0 + ox1) / 2.0, (oy0 + oy1) / 2.0, side);
}

std::optional<float> LiverMedianHu(const Image& hu, const Image& map, const Letterbox& map_grid,
                                   float threshold, int min_pixels) {
  std::vector<float> in;
  for (int y = 0; y < hu.rows; ++y) {
    const int my = static_cast<int>(std::floor((y + 0.5) * map_grid.scale + map_grid.pad_y));
    if (my < 0 || my >= map.rows) continue;
    for (int x = 0; x < hu.cols; ++x) {
      const int mx = static_cast<int>(std::floor((x + 0.5) * map_grid.scale + map_grid.pad_x));
      if (mx < 0 || mx >= map.cols || map.at(my, mx) < threshold) continue;
      in.push_back(hu.at(y, x));
    }
  }
  if (static_cast<int>(in.size()) < min_pixels) return std::nullopt;
  auto mid = in.begin() + static_cast<std::ptrdiff_t>(in.size() / 2);
  std::nth_element(in.begin(), mid, in.end());
  return *mid;
}

float LiverRelativeOffset(std::optional<float> liver_median, float reference) {
  if (!liver_median || reference == 0.0f) return 0.0f;
  return *liver_median - reference;
}

}  // namespace lsms
