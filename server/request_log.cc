#include "server/request_log.h"

#include <iostream>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace lsms {
namespace {

// Caller-chosen text is logged only up to a bound (an 8 MiB request id was
// once logged whole): the prefix and the size of the rest.
std::string Capped(absl::string_view text, size_t max) {
  if (text.size() <= max) return std::string(text);
  return absl::StrCat(text.substr(0, max), "...(+", text.size() - max, " bytes)");
}

}  // namespace

void LogRequest(const RequestRecord& r) {
  static absl::Mutex mu;
  const absl::Status& status = r.status;
  const lsms::v1::Timing* timing = r.timing;
  nlohmann::json j = {{"ts", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone())},
                      {"rpc", Capped(r.rpc, kMaxLoggedRequestIdBytes)},
                      {"caller", r.caller},
                      {"request_id", Capped(r.request_id, kMaxLoggedRequestIdBytes)},
                      {"status", absl::StatusCodeToString(status.code())}};
  if (!r.model_version.empty()) j["model_version"] = r.model_version;
  if (!status.ok()) j["error"] = Capped(status.message(), kMaxLoggedErrorBytes);
  if (timing) {
    j["queue_ms"] = timing->queue_ms();
    j["preprocess_ms"] = timing->preprocess_ms();
    j["inference_ms"] = timing->inference_ms();
    j["postprocess_ms"] = timing->postprocess_ms();
    j["total_ms"] = timing->total_ms();
    j["batch_size"] = timing->batch_size();
  }
  // Request ids are caller-chosen: dump() escapes them, keeping one line each.
  const std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  absl::MutexLock l(&mu);
  std::cerr << line << '\n';
}

}  // namespace lsms
