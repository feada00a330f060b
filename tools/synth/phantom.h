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
#include "tools/synth/contrast_phase.h"

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

// What a slice shows: the liver (with or without lesions), or a level above
// or below it (chest, pelvis) where no liver lesion can be referred to.
enum class Region { kLiver, kChest, kPelvis };
const char* RegionName(Region r);

// A lesion in another organ: never a target of a liver-lesion expression, and
// the answer to a question naming that organ is "no target".
struct OrganLesion {
  std::string organ;        // "kidney", "spleen", "lung"
  bool right_side = true;   // the patient's right
  double diameter_mm = 0;
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
  // Domain (lsms-synth --randomize_domain; the legacy generator leaves the
  // defaults: unenhanced liver slices).
  Phase phase = Phase::kUnenhanced;
  Region region = Region::kLiver;
  double level = 0.5;        // craniocaudal, 0 = liver dome, 1 = inferior tip
  bool fatty_liver = false;
  std::vector<OrganLesion> other_lesions;
  std::vector<std::string> organs;  // other organs in the slice ("spleen", "kidney", "lung", ...)

  // Mask of a set of lesion ids (union), 0/1.
  std::vector<uint8_t> MaskOf(const std::vector<int>& ids) const;
};

struct PhantomOptions {
  int size = 512;
  int min_lesions = 0;
  int max_lesions = 4;
  double min_diameter_mm = 5;
  double max_diameter_mm = 60;
  // Domain randomisation: contrast phase, noise and texture, blur, spacing
  // 0.5–1.0 mm, body size, liver shape, fatty liver, slice level, other
  // organs' lesions, slices without liver (docs/model.md, "the data"). Off:
  // the legacy generator, bit for bit.
  bool randomize_domain = false;
  std::vector<Phase> phases;         // drawn uniformly; empty = all four
  double no_liver_fraction = 0.08;   // chest or pelvis slices
  double other_lesion_rate = 0.3;    // chance per kidney / spleen / lung of a lesion
};

Phantom GeneratePhantom(uint64_t seed, const PhantomOptions& options = {});

// The domain-randomised generator (GeneratePhantom calls it when
// options.randomize_domain is set); its own code in randomized_phantom.cc.
Phantom GenerateRandomizedPhantom(uint64_t seed, const PhantomOptions& options);

// Rasterises lesions into labels/HU and computes the derived fields; exposed
// so tests can build hand-made scenes.
void FinalizeLesions(Phantom* p);

}  // namespace lsms::synth

#endif  // LSMS_TOOLS_SYNTH_PHANTOM_H_
