// lsms-ood: an independent out-of-distribution test set. Its own phantom
// generator — none of lsms-synth's code, shapes, textures or densities: organs
// are smoothed random polygons and superellipses, texture is lattice value
// noise, blur is a box filter, lesions are lobulated polygons with soft
// edges, densities come from its own table per contrast phase. No training
// run may read it (lsms-train refuses its manifests).
//
// Conventions shared with the task (not with lsms-synth's code): radiological
// orientation (the patient's right on the image's left); the liver's right
// lobe lies on the image-left side of a slanted line through the liver (an
// approximation of Cantlie's line); lesion attenuation is relative to the
// liver of the same slice.
#ifndef LSMS_TOOLS_OOD_OOD_PHANTOM_H_
#define LSMS_TOOLS_OOD_OOD_PHANTOM_H_

#include <cstdint>
#include <string>
#include <vector>

#include "model/preprocess.h"

namespace lsms::ood {

enum class OodPhase { kUnenhanced, kArterial, kPortalVenous, kDelayed };
const char* OodPhaseName(OodPhase p);

enum class OodLesionType { kHypo, kHyper, kRim };

struct OodLesion {
  int label = 0;               // id in OodSlice::lesion_labels
  OodLesionType type = OodLesionType::kHypo;
  double area_px = 0;
  double diameter_mm = 0;      // equivalent circle
  bool right_lobe = true;
};

struct OodSlice {
  int size = 512;
  double pixel_mm = 0.8;
  OodPhase phase = OodPhase::kPortalVenous;
  bool has_liver = true;       // false: a pelvis or chest level
  double liver_hu = 0;         // the liver's own density
  Image hu;
  std::vector<uint8_t> liver_mask;     // 1 = liver (lesions included)
  std::vector<uint8_t> lesion_labels;  // OodLesion::label per pixel
  std::vector<OodLesion> lesions;
  std::vector<std::string> other_findings;  // "kidney cyst", "splenic lesion"
};

struct OodOptions {
  int size = 512;
  OodPhase phase = OodPhase::kPortalVenous;
  double no_liver_chance = 0.1;
};

OodSlice MakeOodSlice(uint64_t seed, const OodOptions& options);

}  // namespace lsms::ood

#endif  // LSMS_TOOLS_OOD_OOD_PHANTOM_H_
