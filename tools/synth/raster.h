// Drawing primitives shared by the phantom generators of lsms-synth: filled
// ellipses, noisy blobs (an ellipse whose radius is modulated by a few angular
// harmonics) and a separable Gaussian blur, all on an HU Image.
#ifndef LSMS_TOOLS_SYNTH_RASTER_H_
#define LSMS_TOOLS_SYNTH_RASTER_H_

#include <cstdint>
#include <random>
#include <vector>

#include "model/preprocess.h"

namespace lsms::synth {

using Rng = std::mt19937_64;

double Uniform(Rng& r, double lo, double hi);

// Radius of a noisy blob in direction theta: an ellipse of mean radius `base`,
// axis ratio `aspect` rotated by `angle`, times 1 + Σ a_k cos((k+2)θ + φ_k)
// for the (a_k, φ_k) pairs in `harm`.
double BlobRadius(double base, double aspect, double angle, const std::vector<double>& harm,
                  double theta);
bool InBlob(double x, double y, double cx, double cy, double base, double aspect, double angle,
            const std::vector<double>& harm);

// Sets every pixel inside the axis-aligned ellipse to `hu` (and to 1 in `mask`
// when given); clipped to the image.
void FillEllipse(Image* img, double cx, double cy, double rx, double ry, float hu,
                 std::vector<uint8_t>* mask = nullptr);

// Separable Gaussian blur, edges clamped.
void GaussianBlur(Image* img, double sigma);

}  // namespace lsms::synth

#endif  // LSMS_TOOLS_SYNTH_RASTER_H_
