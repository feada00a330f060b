// The slice warm-up measures the model on: request-shaped, so that the batch
// cap it picks is the one real requests need. A 512×512 abdominal CT slice at
// 0.75 mm drawn from ellipses (body, fat, muscle wall, spine, aorta, kidneys,
// spleen, a liver at 62 HU holding a 24 mm hypodense lesion, ±10 HU noise),
// deterministic. It has a liver, so a two-pass model runs both passes on it,
// as on an abdominal request; a blank slice ran pass 1 only and measured
// about twice the real throughput (8.6 images/s at batch 1 where the
// server then answered 4.06 requests/s).
// Built in code rather than read from a file so that every deployment
// (container, package) warms up the same way.
#ifndef LSMS_SERVER_WARMUP_SLICE_H_
#define LSMS_SERVER_WARMUP_SLICE_H_

#include "model/preprocess.h"

namespace lsms {

inline constexpr int kWarmUpSliceSize = 512;
inline constexpr float kWarmUpSpacingMm = 0.75f;
inline constexpr const char* kWarmUpExpression = "the largest lesion";

// HU values, kWarmUpSliceSize² (row-major).
Image WarmUpSlice();

}  // namespace lsms

#endif  // LSMS_SERVER_WARMUP_SLICE_H_
