// Structured request log: one JSON line per answered request on stderr with
// request id, RPC, status, timings and batch size. Never patient identifiers,
// expressions or pixel values. Thread-safe.
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

void LogRequest(const std::string& rpc, const std::string& request_id, const absl::Status& status,
                const lsms::v1::Timing* timing);

}  // namespace lsms

#endif  // LSMS_SERVER_REQUEST_LOG_H_
