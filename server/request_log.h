// Structured request and audit log: one JSON line per answered request on
// stderr with the RPC, the caller (its configured name, "anonymous" without
// authentication), the model version, the request id, the status, timings and
// batch size; calls refused by authentication get a line too. Never patient
// identifiers, expressions, pixel values or credentials. Thread-safe.
#ifndef LSMS_SERVER_REQUEST_LOG_H_
#define LSMS_SERVER_REQUEST_LOG_H_

#include <string>

#include "absl/status/status.h"
#include "lsms/v1/segmentation.pb.h"

namespace lsms {

// The request id and the error message are logged up to these sizes (the
// rest is counted, not written): both can carry caller-chosen text.
inline constexpr size_t kMaxLoggedRequestIdBytes = 128;
inline constexpr size_t kMaxLoggedErrorBytes = 512;

struct RequestRecord {
  std::string rpc;  // method name, e.g. "Segment"
  std::string caller;
  std::string model_version;  // empty for calls refused before any model was involved
  std::string request_id;
  absl::Status status;
  const lsms::v1::Timing* timing = nullptr;  // answered requests only
};

void LogRequest(const RequestRecord& record);

}  // namespace lsms

#endif  // LSMS_SERVER_REQUEST_LOG_H_
