// The liver region of interest of two-pass inference (an extension beyond the
// paper; docs/model.md "Beyond the paper: the liver region of interest").
//
// Every referring expression of this product is about liver lesions, and half
// of them are under 9 mm — two or three pixels when a 512 px slice is shrunk
// to the model input. Pass 1 sees the whole slice and predicts the liver (a
// text-free auxiliary output); pass 2 sees only the liver's bounding box,
// widened by a margin, letterboxed to the same input size, so lesions get
// about twice as many pixels. Training uses the same crop, computed from the
// ground-truth liver mask. Plain C++ (no torch); thread-safe (pure functions).
#ifndef LSMS_MODEL_LIVER_ROI_H_
#define LSMS_MODEL_LIVER_ROI_H_

#include <optional>

#include "model/preprocess.h"

namespace lsms {

struct LiverRoiOptions {
  // Pixels of `map` at or above this are liver.
  float threshold = 0.5f;
  // The square crop's side is the bounding box's longer side × (1 + 2·margin).
  float margin = 0.12f;
  // Fewer liver pixels than this, in original pixels (≈ 20 cm² at 0.75 mm),
  // means the liver was not found: no region, one pass.
  double min_area_px = 3500.0;
  // The crop is never smaller than this many original pixels on a side
  // (bounds the zoom: at most input_size / min_side).
  double min_side_px = 96.0;
};

// The letterbox of the liver region, for a `map` (liver probability or mask)
// that lives on the grid `map_grid` (the model grid of pass 1, or
// Letterbox::Identity for a mask at the original resolution). The returned
// box has map_grid's rows/cols and `size` as its model size. nullopt when the
// liver is not found or the region would not be smaller than the image.
std::optional<Letterbox> LiverRoi(const Image& map, const Letterbox& map_grid, int size,
                                  const LiverRoiOptions& options);

// The grid of an image at its own resolution (scale 1, no padding).
Letterbox IdentityGrid(int rows, int cols);

// The median HU of the pixels of `hu` (original grid) that `map` (on
// `map_grid`, as for LiverRoi) calls liver (≥ threshold); nullopt when fewer
// than `min_pixels` are. The reference of liver-relative windows
// (ModelConfig::liver_reference_hu): pass 1's liver at serving time, the
// ground-truth liver in training.
std::optional<float> LiverMedianHu(const Image& hu, const Image& map, const Letterbox& map_grid,
                                   float threshold = 0.5f, int min_pixels = 200);

// The HU offset that moves `liver_median` to `reference` (0 when either is
// missing or the reference is 0 = absolute windows).
float LiverRelativeOffset(std::optional<float> liver_median, float reference);

}  // namespace lsms

#endif  // LSMS_MODEL_LIVER_ROI_H_
