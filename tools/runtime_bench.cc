// runtime_bench: the two CPU runtime settings that every model binary gets by
// default, measured: glibc malloc tuning (model/fast_runtime.cc; disabled with
// LSMS_DEFAULT_MALLOC=1) and the BLAS behind libblas.so.3 (OpenBLAS from the
// installer; the reference BLAS is selected with
// LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/blas). scripts/bench-runtime runs
// all four combinations in one go and writes a table.
//
// Prints one line: matmul GFLOP/s (1024², fp32) and LSMS-nano ms/image.
#include <chrono>
#include <cstdlib>
#include <iostream>

#include <torch/torch.h>

#include "model/lsms_net.h"

namespace {

double Seconds(const std::function<void()>& f, int reps) {
  f();  // warm
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < reps; ++i) f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps;
}

}  // namespace

int main() {
  torch::manual_seed(0);
  c10::InferenceMode guard;
  auto a = torch::randn({1024, 1024}), b = torch::randn({1024, 1024});
  const double mm = Seconds([&] { (void)torch::mm(a, b); }, 5);
  lsms::ModelConfig c = *lsms::ModelConfig::FromPreset("nano");
  c.vocab_size = 200;
  lsms::LsmsNet net(c);
  net->eval();
  lsms::NetInputs in;
  in.image = torch::randn({1, 3, c.input_size, c.input_size});
  in.ids = torch::randint(5, 200, {1, c.max_tokens});
  in.mask = torch::ones({1, c.max_tokens});
  in.mm_per_pixel = torch::ones({1});
  const double net_s = Seconds([&] { (void)net->forward(in); }, 8);
  const char* malloc_mode = std::getenv("LSMS_DEFAULT_MALLOC");
  std::cout << "malloc=" << (malloc_mode && malloc_mode[0] == '1' ? "glibc-default" : "tuned")
            << " matmul_gflops=" << 2.0 * 1024 * 1024 * 1024 / mm / 1e9 << " nano_ms_per_image=" << net_s * 1e3
            << std::endl;
  return 0;
}
