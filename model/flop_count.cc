#include "model/flop_count.h"

namespace lsms {
namespace {

// 2 · Cout · H · W · (Cin / groups) · kh · kw, output H×W.
double Conv(double cin, double cout, double kh, double kw, double hw, double groups = 1) {
  return 2.0 * cout * hw * (cin / groups) * kh * kw;
}
double Linear(double n, double in, double out) { return 2.0 * n * in * out; }

}  // namespace

FlopCount CountFlops(const ModelConfig& c) {
  FlopCount f;
  const double t = c.max_tokens, dt = c.text_hidden(), s = c.input_size;
  // Text: QKV, scores, weighted sum, output, FFN per layer; the projection to
  // text_dim when the encoder is wider.
  for (int l = 0; l < c.text_layers; ++l) {
    f.text += 4 * Linear(t, dt, dt) + 2 * (2.0 * t * t * dt) + Linear(t, dt, c.text_ffn) + Linear(t, c.text_ffn, dt);
  }
  if (c.text_hidden() != c.text_dim) f.text += Linear(t, dt, c.text_dim);
  // Vision: stem, then stages.
  const double c1 = c.channels[0];
  f.vision += Conv(c.in_channels(), c1 / 2, 3, 3, (s / 2) * (s / 2)) + Conv(c1 / 2, c1, 3, 3, (s / 4) * (s / 4));
  for (int st = 0; st < 4; ++st) {
    const double ch = c.channels[st], side = s / (4 << st), hw = side * side, r = c.mlp_ratios[st];
    if (st > 0) f.vision += Conv(c.channels[st - 1], ch, 3, 3, hw);
    for (int d = 0; d < c.depths[st]; ++d) {
      double b = 2 * Conv(ch, ch, 1, 1, hw);                 // proj1, proj2
      b += Conv(ch, ch, 5, 5, hw, ch);                       // dw5
      for (int k : c.strip_kernels) b += 2 * Conv(ch, ch, 1, k, hw, ch);
      b += Conv(ch, ch, 1, 1, hw) + Conv(32, ch, 1, 1, hw);  // query, positional projection
      b += 2 * Linear(t, dt, ch);                            // key, value
      b += 2 * (2.0 * hw * t * ch);                          // scores, weighted sum
      const double g = ch / 4 > 8 ? ch / 4 : 8;
      b += Conv(ch, g, 1, 1, hw) + Conv(g, ch, 1, 1, hw) + Conv(ch, ch, 1, 1, hw);  // gate, mix
      b += Conv(ch, r * ch, 1, 1, hw) + Conv(r * ch, r * ch, 3, 3, hw, r * ch) + Conv(r * ch, ch, 1, 1, hw);
      f.vision += b;
    }
  }
  // Decoder on the stride-8 grid.
  const double d = c.decoder_dim, h8 = (s / 8) * (s / 8), sr = c.decoder_sr_ratio, kv = h8 / (sr * sr);
  const double h4 = (s / 4) * (s / 4);
  for (int st = 1; st < 4; ++st) f.decoder += Conv(c.channels[st], d, 1, 1, h8);
  f.decoder += Conv(c1, d, 1, 1, h8);                                   // P1
  f.decoder += h8 * (Linear(1, d, d) + 6 * Linear(1, d, d) + 12.0 * d);  // scale attention
  f.decoder += Linear(h8, 32, d);                                       // positions
  f.decoder += Linear(h8, d, d) + Conv(d, d, sr, sr, kv) + Linear(kv, d, 2 * d) + 2 * (2.0 * h8 * kv * d) +
               Linear(h8, d, d);                                        // self-attention
  f.decoder += Linear(h8, d, d) + 2 * Linear(t, dt, d) + 2 * (2.0 * h8 * t * d) + Linear(h8, d, d);  // words
  f.decoder += Linear(h8, d, 4 * d) + Linear(h8, 4 * d, d);             // FFN
  f.decoder += Conv(c1, d / 2, 1, 1, h4) + Conv(1.5 * d, d / 2, 3, 3, h4) + Conv(d / 2, d / 2, 3, 3, h4) +
               Conv(d / 2, 3, 1, 1, h4);                                // boundary path
  if (c.refine_channels > 0) {
    const double w = c.refine_channels, hw = s * s;
    f.decoder += Conv(c.windows.size(), w, 3, 3, hw) + Conv(w, w, 3, 3, hw) + Conv(d / 2, w, 1, 1, h4) +
                 Conv(2 * w + 3, w, 3, 3, hw) + Conv(w, 3, 1, 1, hw);  // full-resolution refinement
  }
  return f;
}

}  // namespace lsms
