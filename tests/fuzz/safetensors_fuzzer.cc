// libFuzzer target: the safetensors parser (header length, JSON header,
// dtypes, shapes, offsets) and the payload conversion to float.
#include <cstddef>
#include <cstdint>
#include <string>

#include "model/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto file = lsms::SafetensorsFile::Parse(std::string(reinterpret_cast<const char*>(data), size));
  if (!file.ok()) return 0;
  for (const auto& [name, tensor] : file->tensors) {
    auto values = tensor.ToFloat();
    if (values.ok() && static_cast<int64_t>(values->size()) != tensor.numel()) __builtin_trap();
  }
  (void)file->Serialize();
  return 0;
}
