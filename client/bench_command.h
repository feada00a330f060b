// `lsms-client bench`: load test of the service.
//  - closed loop: a sweep of concurrency levels (default 1,2,4,…,64), each
//    keeping exactly c requests in flight;
//  - open loop: --rate R requests/s with constant or Poisson arrivals.
// Each level: a warm-up (excluded), then measurement windows until the last
// three agree within --stability (as perf_analyzer does) or --max_windows.
// Reports throughput, p50/p90/p95/p99/max latency, errors by status, mean
// server-side batch size and queue time (from the responses, and from a
// scrape of the metrics endpoint when --metrics_url is given); prints a
// table and writes CSV and JSON. Bounded in requests and time; several
// channels so one HTTP/2 connection is not the bottleneck.
#ifndef LSMS_CLIENT_BENCH_COMMAND_H_
#define LSMS_CLIENT_BENCH_COMMAND_H_

#include <string>
#include <vector>

#include "client/connection.h"

namespace lsms::client {

struct BenchOptions {
  ConnectionOptions connection;
  RetryPolicy retry;                     // off by default (max_attempts 1)
  std::vector<std::string> inputs;       // DICOM files or folders
  std::vector<std::string> expressions;  // cycled over the inputs
  std::vector<int> concurrency = {1, 2, 4, 8, 16, 32, 64};
  double rate = 0;                       // > 0: open loop at this rate
  std::string arrivals = "constant";     // or "poisson"
  int channels = 4;
  absl::Duration warmup = absl::Seconds(2);
  absl::Duration window = absl::Seconds(3);
  int min_windows = 3;
  int max_windows = 8;
  double stability = 0.10;
  int64_t max_requests = 20000;          // per level, warm-up included
  absl::Duration deadline = absl::Seconds(10);
  std::string metrics_url;               // e.g. http://127.0.0.1:9090/metrics
  std::string csv = "bench.csv";
  std::string json = "bench.json";
  bool progress = true;
};

int RunBench(const BenchOptions& options);

}  // namespace lsms::client

#endif  // LSMS_CLIENT_BENCH_COMMAND_H_
