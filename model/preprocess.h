// Preprocessing shared by training and serving, owned by the model config:
// Hounsfield units → one channel per HU window → letterbox resize to the
// square model input (aspect ratio kept, padded, never stretched) →
// normalisation; and the inverse mapping of model-resolution outputs back to
// the original image grid. Plain C++ (no torch).
#ifndef LSMS_MODEL_PREPROCESS_H_
#define LSMS_MODEL_PREPROCESS_H_

#include <cstdint>
#include <vector>

#include "model/model_config.h"

namespace lsms {

// A single-channel image, row-major. Units depend on use (HU, probability…).
struct Image {
  int rows = 0;
  int cols = 0;
  std::vector<float> data;
  float at(int r, int c) const { return data[static_cast<size_t>(r) * cols + c]; }
};

// How an original rows×cols image sits inside the size×size model input:
// model = original * scale + (pad_x, pad_y), in pixel-centre coordinates.
struct Letterbox {
  int size = 0;
  int rows = 0;
  int cols = 0;
  double scale = 1.0;
  double pad_x = 0.0;
  double pad_y = 0.0;

  // The whole rows×cols image, centred.
  static Letterbox For(int rows, int cols, int size);
  // The square of side `side` original pixels centred on (cx, cy) (pixel-edge
  // coordinates: the image spans [0, cols]×[0, rows]) fills the model input;
  // what lies outside the image is padding.
  static Letterbox ForRegion(int rows, int cols, int size, double cx, double cy, double side);

  // Original pixel-edge coordinates of model pixel-edge coordinates.
  double OriginalX(double model_x) const { return (model_x - pad_x) / scale; }
  double OriginalY(double model_y) const { return (model_y - pad_y) / scale; }
};

// Bilinear resampling of `src` at model coordinates (x, y); outside → `fill`.
float SampleBilinear(const Image& src, double x, double y, float fill);

// HU image → channels()*size*size floats, CHW, normalised. The padding is air
// (-1024 HU) so that it windows to 0 like the outside of the body.
std::vector<float> PreprocessHu(const Image& hu, const ModelConfig& config, Letterbox* box);
// The same on a given letterbox (box.size must equal config.input_size and
// box.rows/cols the image's). `hu_offset` moves every window's level by that
// many HU (windows relative to a reference density, see
// ModelConfig::liver_reference_hu).
std::vector<float> PreprocessHu(const Image& hu, const ModelConfig& config, const Letterbox& box,
                                float hu_offset = 0.0f);

// A model-resolution map (size×size) → the original rows×cols grid.
Image ToOriginal(const Image& model_map, const Letterbox& box);

// A mask at the original resolution → the model grid (nearest; for training).
Image ToModel(const Image& original, const Letterbox& box);

}  // namespace lsms

#endif  // LSMS_MODEL_PREPROCESS_H_
