// lsms-model-info: for every preset, parameters (vision / text / decoder /
// heads), GFLOPs at the preset's input size, and forward-pass latency on the
// chosen device at batch 1 and at the best batch size (ms per image); then
// images/s at every batch size timed. Prints Markdown tables.
#include <chrono>
#include <iostream>
#include <map>

#include <torch/cuda.h>
#include <torch/torch.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "common/flags_usage.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "model/flop_count.h"
#include "model/lsms_net.h"
#include "model/torch_device.h"

ABSL_FLAG(std::string, presets, "nano,tiny,base", "Comma-separated presets.");
ABSL_FLAG(int, reps, 3, "Timed forward passes per batch size.");
ABSL_FLAG(int, max_batch, 8, "Largest batch size timed (powers of two).");
ABSL_FLAG(int, threads, 0, "Torch intra-op threads (0 = default).");
ABSL_FLAG(std::string, device, "cpu", "cpu, cuda, cuda:N or auto.");
ABSL_FLAG(std::string, autocast, "none", "Mixed precision on CUDA: none, fp16 or bf16.");

int main(int argc, char** argv) {
  lsms::InitFlagsUsage("Parameters, GFLOPs and forward-pass latency of every preset.");
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_threads) > 0) torch::set_num_threads(absl::GetFlag(FLAGS_threads));
  const auto device = lsms::ParseDevice(absl::GetFlag(FLAGS_device));
  if (!device.ok()) {
    std::cerr << "lsms-model-info: " << device.status() << "\n";
    return 2;
  }
  std::string autocast = absl::GetFlag(FLAGS_autocast);
  if (autocast != "none" && autocast != "fp16" && autocast != "bf16") {
    std::cerr << "lsms-model-info: --autocast must be none, fp16 or bf16\n";
    return 2;
  }
  if (!device->is_cuda()) autocast = "none";
  const std::string where = device->str() + (autocast == "none" ? "" : "/" + autocast);
  std::cout << "Device: " << where << "\n\n"
            << "| preset | input | params vision | params text | params decoder | params heads | params total "
               "| GFLOPs (vision / text / decoder) | ms/image @1 | best batch | ms/image @best |\n"
               "|---|---|---|---|---|---|---|---|---|---|---|\n";
  // images/s per preset and batch size, printed after the summary.
  std::vector<std::pair<std::string, std::map<int, double>>> throughput;
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
    net->to(*device);
    double pv = 0, pt = 0, pd = 0, ph = 0;
    for (const auto& p : net->named_parameters()) {
      const double n = static_cast<double>(p.value().numel());
      const std::string& k = p.key();
      (k.rfind("vision.", 0) == 0 ? pv : k.rfind("text.", 0) == 0 ? pt : k.rfind("decoder.", 0) == 0 ? pd : ph) += n;
    }
    lsms::FlopCount f = lsms::CountFlops(c);
    c10::InferenceMode guard;
    throughput.emplace_back(c.preset, std::map<int, double>{});
    auto time_batch = [&](int b) {
      const auto on = torch::TensorOptions().device(*device);
      const int64_t windows = static_cast<int64_t>(c.windows.size());
      lsms::NetInputs in;
      in.image = torch::randn({b, windows, c.input_size, c.input_size}, on);
      in.ids = torch::randint(5, c.vocab_size, {b, c.max_tokens}, on.dtype(torch::kLong));
      in.mask = torch::ones({b, c.max_tokens}, on);
      in.mm_per_pixel = torch::ones({b}, on);
      lsms::CudaAutocastScope cast(autocast);
      // Asynchronous CUDA work is waited for before the clock is read.
      auto sync = [&] {
        if (device->is_cuda()) torch::cuda::synchronize(device->index());
      };
      (void)net->forward(in);  // warm: kernels chosen, memory cached
      sync();
      auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < absl::GetFlag(FLAGS_reps); ++i) (void)net->forward(in);
      sync();
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() /
                        absl::GetFlag(FLAGS_reps) / b;
      throughput.back().second[b] = 1000.0 / ms;
      return ms;
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
  std::cout << "\nimages/s (forward pass, " << where << "):\n\n| preset |";
  for (const auto& [b, ips] : throughput.front().second) std::cout << " b=" << b << " |";
  std::cout << "\n|---|";
  for (size_t i = 0; i < throughput.front().second.size(); ++i) std::cout << "---|";
  std::cout << "\n";
  for (const auto& [preset, by_batch] : throughput) {
    std::cout << "| " << preset << " |";
    for (const auto& [b, ips] : by_batch) std::cout << absl::StrFormat(" %.1f |", ips);
    std::cout << "\n";
  }
  return 0;
}
