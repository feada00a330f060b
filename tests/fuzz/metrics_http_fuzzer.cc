// libFuzzer target: the /metrics HTTP endpoint's request handling. The
// input arrives in chunks (sizes from the input's first bytes), as recv()
// would deliver it; once the head is complete it is answered from a small
// registry. Every answer must be a well-formed HTTP/1.0 response.
#include <cstddef>
#include <cstdint>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include "absl/strings/match.h"
#include "server/metrics/metrics_http_server.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto* registry = [] {
    auto* r = new prometheus::Registry();
    prometheus::BuildCounter().Name("lsms_fuzz_total").Help("fuzz").Register(*r).Add({{"k", "v"}}).Increment();
    return r;
  }();
  if (size < 2) return 0;
  const size_t chunk = 1 + data[0] % 64, max_bytes = 64 + data[1] * 16;
  std::string received;
  for (size_t at = 2; at < size; at += chunk) {
    received.append(reinterpret_cast<const char*>(data) + at, std::min(chunk, size - at));
    if (lsms::RequestHeadComplete(received, max_bytes)) break;
  }
  const std::string answer = lsms::MetricsHttpAnswer(received, *registry);
  if (!absl::StartsWith(answer, "HTTP/1.0 ")) __builtin_trap();
  return 0;
}
