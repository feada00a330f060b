#include "model/preprocess.h"

#include <algorithm>
#include <cmath>

namespace lsms {

Letterbox Letterbox::For(int rows, int cols, int size) {
  Letterbox b;
  b.size = size;
  b.rows = rows;
  b.cols = cols;
  b.scale = static_cast<double>(size) / std::max(rows, cols);
  b.pad_x = (size - cols * b.scale) / 2.0;
  b.pad_y = (size - rows * b.scale) / 2.0;
  return b;
}

Letterbox Letterbox::ForRegion(int rows, int cols, int size, double cx, double cy, double side) {
  Letterbox b;
  b.size = size;
  b.rows = rows;
  b.cols = cols;
  b.scale = size / side;
  b.pad_x = size / 2.0 - cx * b.scale;
  b.pad_y = size / 2.0 - cy * b.scale;
  return b;
}

float SampleBilinear(const Image& src, double x, double y, float fill) {
  // Pixel centres at integer coordinates; clamp to the edge within half a
  // pixel, `fill` beyond.
  if (x < -0.5 || y < -0.5 || x > src.cols - 0.5 || y > src.rows - 0.5) return fill;
  x = std::clamp(x, 0.0, static_cast<double>(src.cols - 1));
  y = std::clamp(y, 0.0, static_cast<double>(src.rows - 1));
  int x0 = static_cast<int>(std::floor(x)), y0 = static_cast<int>(std::floor(y));
  int x1 = std::min(x0 + 1, src.cols - 1), y1 = std::min(y0 + 1, src.rows - 1);
  double fx = x - x0, fy = y - y0;
  double top = src.at(y0, x0) * (1 - fx) + src.at(y0, x1) * fx;
  double bottom = src.at(y1, x0) * (1 - fx) + src.at(y1, x1) * fx;
  return static_cast<float>(top * (1 - fy) + bottom * fy);
}

namespace {

// Resamples `src` onto the size×size model grid. When shrinking, a box
// pre-filter over the source footprint avoids aliasing of thin structures.
Image ResampleToModel(const Image& src, const Letterbox& box, float fill) {
  Image out;
  out.rows = out.cols = box.size;
  out.data.assign(static_cast<size_t>(box.size) * box.size, fill);
  const double inv = 1.0 / box.scale;
  const int taps = box.scale < 1.0 ? static_cast<int>(std::ceil(inv)) : 1;
  for (int y = 0; y < box.size; ++y) {
    for (int x = 0; x < box.size; ++x) {
      // Centre of model pixel (x, y) in source coordinates.
      double sx = (x + 0.5 - box.pad_x) * inv - 0.5;
      double sy = (y + 0.5 - box.pad_y) * inv - 0.5;
      if (sx < -0.5 || sy < -0.5 || sx > src.cols - 0.5 || sy > src.rows - 0.5) continue;
      if (taps == 1) {
        out.data[static_cast<size_t>(y) * box.size + x] = SampleBilinear(src, sx, sy, fill);
        continue;
      }
      double acc = 0;
      int n = 0;
      for (int j = 0; j < taps; ++j) {
        for (int i = 0; i < taps; ++i) {
          double px = sx + (i + 0.5) * inv / taps - 0.5 * inv;
          double py = sy + (j + 0.5) * inv / taps - 0.5 * inv;
          acc += SampleBilinear(src, px, py, fill);
          ++n;
        }
      }
      out.data[static_cast<size_t>(y) * box.size + x] = static_cast<float>(acc / n);
    }
  }
  return out;
}

}  // namespace

std::vector<float> PreprocessHu(const Image& hu, const ModelConfig& config, Letterbox* box) {
  *box = Letterbox::For(hu.rows, hu.cols, config.input_size);
  return PreprocessHu(hu, config, *box);
}

std::vector<float> PreprocessHu(const Image& hu, const ModelConfig& config, const Letterbox& box,
                                float hu_offset) {
  constexpr float kAirHu = -1024.0f;
  Image resized = ResampleToModel(hu, box, kAirHu);
  const size_t plane = static_cast<size_t>(config.input_size) * config.input_size;
  std::vector<float> out(config.windows.size() * plane);
  for (size_t c = 0; c < config.windows.size(); ++c) {
    const float lo = config.windows[c].level + hu_offset - config.windows[c].width / 2;
    const float inv_w = 1.0f / config.windows[c].width;
    float* dst = out.data() + c * plane;
    for (size_t i = 0; i < plane; ++i) {
      float v = std::clamp((resized.data[i] - lo) * inv_w, 0.0f, 1.0f);
      dst[i] = (v - config.norm_mean) / config.norm_std;
    }
  }
  return out;
}

Image ToOriginal(const Image& model_map, const Letterbox& box) {
  Image out;
  out.rows = box.rows;
  out.cols = box.cols;
  out.data.resize(static_cast<size_t>(box.rows) * box.cols);
  for (int y = 0; y < box.rows; ++y) {
    for (int x = 0; x < box.cols; ++x) {
      double mx = (x + 0.5) * box.scale + box.pad_x - 0.5;
      double my = (y + 0.5) * box.scale + box.pad_y - 0.5;
      out.data[static_cast<size_t>(y) * box.cols + x] = SampleBilinear(model_map, mx, my, 0.0f);
    }
  }
  return out;
}

Image ToModel(const Image& original, const Letterbox& box) {
  return ResampleToModel(original, box, 0.0f);
}

}  // namespace lsms
