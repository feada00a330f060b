// Renders a CT slice in a soft-tissue window with a predicted mask in colour,
// its bounding box, an optional ground-truth outline and a few lines of text
// (built-in 5×7 font, upper-case ASCII) — the overlay PNGs of the client and
// the evaluator.
#ifndef LSMS_COMMON_OVERLAY_H_
#define LSMS_COMMON_OVERLAY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/png_codec.h"

namespace lsms {

struct OverlayInput {
  int rows = 0, cols = 0;
  const std::vector<float>* hu = nullptr;        // rows×cols Hounsfield units
  const std::vector<uint8_t>* mask = nullptr;    // prediction {0,1}, may be null
  const std::vector<uint8_t>* truth = nullptr;   // ground truth {0,1}, may be null
  float window_level = 40, window_width = 400;   // soft tissue
  std::vector<std::string> lines;                // text, top-left
};

PngImage RenderOverlay(const OverlayInput& in);

}  // namespace lsms

#endif  // LSMS_COMMON_OVERLAY_H_
