#include "model/torch_device.h"

#include <ATen/autocast_mode.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include "absl/strings/str_cat.h"
#include "model/segmenter.h"

namespace lsms {

int CudaDeviceCount() {
  return torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count()) : 0;
}

absl::StatusOr<torch::Device> ParseDevice(const std::string& spec) {
  try {
    if (spec == "cpu") return torch::Device(torch::kCPU);
    if (spec == "auto") {
      return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
    }
    torch::Device d(spec);
    if (d.is_cuda()) {
      const int64_t count = static_cast<int64_t>(torch::cuda::device_count());
      if (count == 0) {
        return absl::FailedPreconditionError(absl::StrCat(
            "device '", spec, "' requested but no CUDA device is usable (",
            torch::cuda::is_available() ? "none visible" : "no GPU/driver on this host, or a CPU-only libtorch",
            ")"));
      }
      if (d.has_index() && d.index() >= count) {
        return absl::FailedPreconditionError(
            absl::StrCat("device '", spec, "' requested but this host has ", count, " CUDA device(s)"));
      }
      if (!d.has_index()) d = torch::Device(torch::kCUDA, 0);
    } else if (!d.is_cpu()) {
      return absl::InvalidArgumentError(absl::StrCat("unsupported device '", spec, "' (cpu, cuda, cuda:N or auto)"));
    }
    return d;
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad device '", spec, "' (cpu, cuda, cuda:N or auto): ", e.what_without_backtrace()));
  }
}

namespace {

void SetCudaAutocast(bool enabled, at::ScalarType dtype) {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  at::autocast::set_autocast_enabled(at::kCUDA, enabled);
  if (enabled) at::autocast::set_autocast_dtype(at::kCUDA, dtype);
#else
  at::autocast::set_enabled(enabled);
  if (enabled) at::autocast::set_autocast_gpu_dtype(dtype);
#endif
}

}  // namespace

CudaAutocastScope::CudaAutocastScope(const std::string& autocast) : on_(autocast != "none") {
  if (on_) SetCudaAutocast(true, autocast == "bf16" ? at::kBFloat16 : at::kHalf);
}

CudaAutocastScope::~CudaAutocastScope() {
  if (!on_) return;
  at::autocast::clear_cache();
  SetCudaAutocast(false, at::kHalf);
}

}  // namespace lsms
