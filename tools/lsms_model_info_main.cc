// lsms-model-info: for every preset, parameters (vision / text / decoder /
// heads), GFLOPs at the preset's input size, and CPU latency at batch 1 and at
// the best batch size (ms per image). Prints a Markdown table.
#include <chrono>
#include <iostream>

#include <torch/torch.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "common/flags_usage.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "model/flop_count.h"
#include "model/lsms_net.h"

ABSL_FLAG(std::string, presets, "nano,tiny,base", "Comma-separated presets.");
ABSL_FLAG(int, reps, 3, "Timed forward passes per batch size.");
ABSL_FLAG(int, max_batch, 8, "Largest batch size timed (powers of two).");
ABSL_FLAG(int, threads, 0, "Torch intra-op threads (0 = default).");

int main(int argc, char** argv) {
  lsms::InitFlagsUsage("Parameters, GFLOPs and CPU latency of every preset.");
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_threads) > 0) torch::set_num_threads(absl::GetFlag(FLAGS_threads));
  std::cout << "| preset | input | params vision | params text | params decoder | params heads | params total "
               "| GFLOPs (vision / text / decoder) | CPU ms/image @1 | best batch | CPU ms/image @best |\n"
               "|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (absl::string_view name : absl::StrSplit(absl::GetFlag(FLAGS_presets), ',')) {
    auto config = lsms::ModelConfig::FromPreset(std::string(name));
    if (!config.ok()) {
      std::cerr << config.status() << "\n";
      return 2;
    }
    lsms::ModelConfig c = *config;
    if (c.vocab_size == 0) c.vocab_size = 512;  // small trained-from-scratch vocabularies
    torch::manual_seed(0);
    lsms::LsmsNet net(c);
    net->eval();
    double pv = 0, pt = 0, pd = 0, ph = 0;
    for (const auto& p : net->named_parameters()) {
      const double n = static_cast<double>(p.value().numel());
      const std::string& k = p.key();
      (k.rfind("vision.", 0) == 0 ? pv : k.rfind("text.", 0) == 0 ? pt : k.rfind("decoder.", 0) == 0 ? pd : ph) += n;
    }
    lsms::FlopCount f = lsms::CountFlops(c);
    c10::InferenceMode guard;
    auto time_batch = [&](int b) {
      lsms::NetInputs in;
      in.image = torch::randn({b, 3, c.input_size, c.input_size});
      in.ids = torch::randint(5, c.vocab_size, {b, c.max_tokens});
      in.mask = torch::ones({b, c.max_tokens});
      in.mm_per_pixel = torch::ones({b});
      (void)net->forward(in);  // warm
      auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < absl::GetFlag(FLAGS_reps); ++i) (void)net->forward(in);
      return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() /
             absl::GetFlag(FLAGS_reps) / b;
    };
    const double one = time_batch(1);
    double best = one;
    int best_b = 1;
    for (int b = 2; b <= absl::GetFlag(FLAGS_max_batch); b *= 2) {
      double ms = time_batch(b);
      if (ms < best) {
        best = ms;
        best_b = b;
      }
    }
    std::cout << absl::StrFormat("| %s | %d | %.2f M | %.2f M | %.2f M | %.2f M | %.2f M | %.2f (%.2f / %.3f / %.2f) | %.1f | %d | %.1f |\n",
                                 c.preset, c.input_size, pv / 1e6, pt / 1e6, pd / 1e6, ph / 1e6,
                                 (pv + pt + pd + ph) / 1e6, f.total() / 1e9, f.vision / 1e9, f.text / 1e9,
                                 f.decoder / 1e9, one, best_b, best)
              << std::flush;
  }
  return 0;
}
