// Synthetic abdominal CT slice with liver lesions, for the referring-lesion
// benchmark. Deterministic from a seed (std::mt19937_64 with libstdc++'s
// distributions: the same binary gives the same data).
//
// Geometry follows the radiological convention: the patient's right is on the
// image's left, anterior at the top. The liver sits on the image's left; its
// right lobe is the image-left part, its left lobe extends toward the midline.
#ifndef LSMS_TOOLS_SYNTH_PHANTOM_H_
#define LSMS_TOOLS_SYNTH_PHANTOM_H_

#include <cstdint>
#include <string>
#include <vector>

#include "model/preprocess.h"

namespace lsms::synth {

enum class Attenuation { kHypodense, kHyperdense, kRimEnhancing };
const char* AttenuationName(Attenuation a);

struct Lesion {
  int id = 0;                  // 1-based label in Phantom::labels
  double cx = 0, cy = 0;       // centre, pixels
  double radius = 0;           // mean radius, pixels
  double aspect = 1, angle = 0;
  std::vector<double> harmonics;  // radial shape noise (amplitude, phase pairs)
  Attenuation attenuation = Attenuation::kHypodense;
  double contrast_hu = 40;
  // Derived after rasterisation.
  int64_t area_px = 0;
  double area_mm2 = 0;
  double diameter_mm = 0;      // equivalent-circle diameter
  bool right_lobe = true;      // patient's right (image left)
  double centroid_x = 0, centroid_y = 0;
  double hilum_distance_mm = 0;
};

struct Phantom {
  int size = 512;
  double spacing_mm = 0.75;    // square pixels
  Image hu;                    // size × size
  std::vector<uint8_t> liver;  // 1 inside the liver
  std::vector<uint8_t> labels; // lesion id per pixel, 0 = none
  std::vector<Lesion> lesions;
  double liver_cx = 0, liver_cy = 0;  // liver centroid, pixels
  double lobe_divide_x = 0;           // x < divide: right lobe
  double hilum_x = 0, hilum_y = 0;
  double liver_hu = 60;

  // Mask of a set of lesion ids (union), 0/1.
  std::vector<uint8_t> MaskOf(const std::vector<int>& ids) const;
};

struct PhantomOptions {
  int size = 512;
  int min_lesions = 0;
  int max_lesions = 4;
  double min_diameter_mm = 5;
  double max_diameter_mm = 60;
};

Phantom GeneratePhantom(uint64_t seed, const PhantomOptions& options = {});

// Rasterises lesions into labels/HU and computes the derived fields; exposed
// so tests can build hand-made scenes.
void FinalizeLesions(Phantom* p);

}  // namespace lsms::synth

#endif  // LSMS_TOOLS_SYNTH_PHANTOM_H_
