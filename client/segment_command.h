// `lsms-client segment`: one DICOM file, several files or a folder (a series)
// plus an expression → per slice <name>_mask.png, <name>_overlay.png,
// <name>.json (and <name>_seg.dcm when the server returns a DICOM SEG).
// One file uses Segment (with optional retries); several use SegmentSeries.
#ifndef LSMS_CLIENT_SEGMENT_COMMAND_H_
#define LSMS_CLIENT_SEGMENT_COMMAND_H_

#include <optional>
#include <string>
#include <vector>

#include "client/connection.h"

namespace lsms::client {

struct SegmentOptions {
  ConnectionOptions connection;
  RetryPolicy retry;
  std::vector<std::string> inputs;  // files or folders
  std::string expression;
  std::string out_dir = "lsms-out";
  std::optional<float> threshold;
  absl::Duration deadline = absl::Seconds(30);
  bool dicom_seg = false;
  bool probability_map = false;
  bool token_relevance = true;
  bool quiet = false;
};

// Returns the process exit code (see ExitCode).
int RunSegment(const SegmentOptions& options);

// Lists the DICOM files named by `inputs` (folders expanded, sorted).
std::vector<std::string> CollectDicomFiles(const std::vector<std::string>& inputs);

}  // namespace lsms::client

#endif  // LSMS_CLIENT_SEGMENT_COMMAND_H_
