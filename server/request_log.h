// Structured request log: one JSON line per answered request on stderr with
// request id, RPC, status, timings and batch size. Never patient identifiers,
// expressions or pixel values. Thread-safe.
#ifndef LSMS_SERVER_REQUEST_LOG_H_
#define LSMS_SERVER_REQUEST_LOG_H_

#include <string>

#include "absl/status/status.h"
#include "lsms/v1/segmentation.pb.h"

namespace lsms {

void LogRequest(const std::string& rpc, const std::string& request_id, const absl::Status& status,
                const lsms::v1::Timing* timing);

}  // namespace lsms

#endif  // LSMS_SERVER_REQUEST_LOG_H_
