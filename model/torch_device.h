// The one place a device name ("cpu", "cuda", "cuda:1", "auto") becomes a
// torch::Device, shared by inference (TorchSegmenter) and training
// (lsms-train --device), so both refuse an unavailable GPU the same way.
#ifndef LSMS_MODEL_TORCH_DEVICE_H_
#define LSMS_MODEL_TORCH_DEVICE_H_

#include <optional>
#include <string>

#include <torch/types.h>

#include "absl/status/statusor.h"

namespace lsms {

// "auto" = the first CUDA device when one is usable, else the CPU. A CUDA
// device on a host or libtorch without CUDA (or beyond the device count) is
// FAILED_PRECONDITION; an unparsable name is INVALID_ARGUMENT. Never throws.
absl::StatusOr<torch::Device> ParseDevice(const std::string& spec);

// CUDA autocast ("fp16" or "bf16"; "none" does nothing) on this thread for one
// scope: on at construction, off with its cast cache dropped at destruction,
// also when the forward pass throws: the setting is thread-local and a model
// worker thread runs the next batch. Hides libtorch 2.4's change of setters.
class CudaAutocastScope {
 public:
  // `autocast` must be "none", "fp16" or "bf16" (checked by the callers'
  // option parsing; anything else is treated as "fp16").
  explicit CudaAutocastScope(const std::string& autocast);
  ~CudaAutocastScope();
  CudaAutocastScope(const CudaAutocastScope&) = delete;
  CudaAutocastScope& operator=(const CudaAutocastScope&) = delete;

 private:
  const bool on_;
};

}  // namespace lsms

#endif  // LSMS_MODEL_TORCH_DEVICE_H_
