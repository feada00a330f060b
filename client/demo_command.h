// `lsms-client demo`: segments every (slice, expression) of a manifest (the
// bundled samples by default), writes overlays with the ground truth outlined,
// and prints a table: expression, confidence, target-present, area, Dice
// against the sample's ground-truth mask.
#ifndef LSMS_CLIENT_DEMO_COMMAND_H_
#define LSMS_CLIENT_DEMO_COMMAND_H_

#include <string>

#include "client/connection.h"

namespace lsms::client {

struct DemoOptions {
  ConnectionOptions connection;
  std::string manifest = "samples/manifest.jsonl";
  std::string out_dir = "demo-out";
  absl::Duration deadline = absl::Seconds(30);
};

int RunDemo(const DemoOptions& options);

}  // namespace lsms::client

#endif  // LSMS_CLIENT_DEMO_COMMAND_H_
