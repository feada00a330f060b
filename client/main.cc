// lsms-client: command-line client of the LSMS service. Flags are read here only.
//   lsms-client health  [--target host:port]
//   lsms-client info    [--target host:port]
//   lsms-client reload  [--checkpoint PATH]   (admin: hot-swap the server's model)
//   lsms-client segment --input FILE|DIR[,…] --expression TEXT [--out DIR]
//   lsms-client bench   [--input FILE|DIR[,…]] [--concurrency 1,2,4] [--rate R]
//   lsms-client demo    [--manifest samples/manifest.jsonl] [--out demo-out]
// Exit codes: 0 success, 2 usage, 3 unreachable, 4 invalid input,
// 5 server error, 6 deadline exceeded, 7 not authenticated or not permitted.
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "common/flags_usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "client/bench_command.h"
#include "client/connection.h"
#include "client/demo_command.h"
#include "client/segment_command.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "lsms/v1/segmentation.grpc.pb.h"

// Connection.
ABSL_FLAG(std::string, target, "127.0.0.1:50051", "Server address host:port.");
ABSL_FLAG(bool, tls, false, "Use TLS (implied by --ca/--cert).");
ABSL_FLAG(std::string, ca, "", "PEM file of trusted CA certificates (TLS).");
ABSL_FLAG(std::string, cert, "", "PEM client certificate (mutual TLS).");
ABSL_FLAG(std::string, key, "", "PEM client private key (mutual TLS).");
ABSL_FLAG(std::string, token, "", "Bearer token sent as the 'authorization' header.");
ABSL_FLAG(absl::Duration, deadline, absl::Seconds(30), "Deadline of each call (segment: of each slice).");
ABSL_FLAG(int, retries, 2, "segment: retries on UNAVAILABLE/RESOURCE_EXHAUSTED (bench: see --bench_retries).");
// segment.
ABSL_FLAG(std::string, input, "", "DICOM file(s) or folder(s), comma-separated.");
ABSL_FLAG(std::string, expression, "", "Referring expression.");
ABSL_FLAG(std::string, checkpoint, "",
          "reload: checkpoint path on the server; empty = re-read the one it was started with.");
ABSL_FLAG(std::string, out, "lsms-out", "segment: output folder.");
ABSL_FLAG(double, threshold, -1, "Mask threshold in (0,1); negative = the model's default.");
ABSL_FLAG(bool, seg, false, "segment: ask for a DICOM SEG and write it.");
ABSL_FLAG(bool, probability_map, false, "segment: ask for the probability map.");
// bench.
ABSL_FLAG(std::string, manifest, "samples/manifest.jsonl", "demo: manifest of slices, expressions and masks.");
ABSL_FLAG(std::string, expressions, "", "bench: '|'-separated expressions cycled over the inputs.");
ABSL_FLAG(std::string, concurrency, "1,2,4,8,16,32,64", "bench: closed-loop concurrency levels.");
ABSL_FLAG(double, rate, 0, "bench: open-loop arrival rate (requests/s); > 0 disables the sweep.");
ABSL_FLAG(std::string, arrivals, "constant", "bench: constant or poisson arrivals (open loop).");
ABSL_FLAG(int, channels, 4, "bench: gRPC channels (HTTP/2 connections).");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(2), "bench: warm-up per level (excluded).");
ABSL_FLAG(absl::Duration, window, absl::Seconds(3), "bench: measurement window.");
ABSL_FLAG(int, max_windows, 8, "bench: most windows per level.");
ABSL_FLAG(double, stability, 0.10, "bench: last 3 windows within this fraction = stable.");
ABSL_FLAG(int64_t, max_requests, 20000, "bench: most requests per level.");
ABSL_FLAG(int, bench_retries, 0, "bench: retries (off by default).");
ABSL_FLAG(std::string, metrics_url, "", "bench: Prometheus endpoint to scrape, e.g. http://127.0.0.1:9464/metrics.");
ABSL_FLAG(std::string, csv, "bench.csv", "bench: CSV output.");
ABSL_FLAG(std::string, json, "bench.json", "bench: JSON output.");

namespace {

using lsms::client::ExitCodeFor;

lsms::client::ConnectionOptions Connection() {
  lsms::client::ConnectionOptions c;
  c.target = absl::GetFlag(FLAGS_target);
  c.tls = absl::GetFlag(FLAGS_tls);
  c.ca_file = absl::GetFlag(FLAGS_ca);
  c.cert_file = absl::GetFlag(FLAGS_cert);
  c.key_file = absl::GetFlag(FLAGS_key);
  c.auth_token = absl::GetFlag(FLAGS_token);
  return c;
}

std::vector<std::string> List(const std::string& s, char sep = ',') {
  std::vector<std::string> out;
  for (absl::string_view p : absl::StrSplit(s, sep, absl::SkipEmpty())) out.emplace_back(p);
  return out;
}

int Health() {
  auto channel = lsms::client::MakeChannel(Connection());
  if (!channel.ok()) return lsms::client::kExitInvalidInput;
  grpc::ClientContext ctx;
  lsms::client::PrepareContext(&ctx, Connection(), absl::GetFlag(FLAGS_deadline));
  grpc::health::v1::HealthCheckResponse r;
  grpc::Status s = grpc::health::v1::Health::NewStub(*channel)->Check(&ctx, {}, &r);
  if (!s.ok()) {
    std::cerr << "lsms-client: health check failed: " << s.error_message() << "\n";
    return ExitCodeFor(s.error_code());
  }
  std::cout << grpc::health::v1::HealthCheckResponse::ServingStatus_Name(r.status()) << "\n";
  return r.status() == grpc::health::v1::HealthCheckResponse::SERVING ? lsms::client::kExitOk
                                                                       : lsms::client::kExitUnreachable;
}

int Info() {
  auto channel = lsms::client::MakeChannel(Connection());
  if (!channel.ok()) return lsms::client::kExitInvalidInput;
  grpc::ClientContext ctx;
  lsms::client::PrepareContext(&ctx, Connection(), absl::GetFlag(FLAGS_deadline));
  lsms::v1::ModelInfo info;
  grpc::Status s = lsms::v1::SegmentationService::NewStub(*channel)->GetModelInfo(&ctx, {}, &info);
  if (!s.ok()) {
    std::cerr << "lsms-client: GetModelInfo failed: " << s.error_message() << "\n";
    return ExitCodeFor(s.error_code());
  }
  std::cout << info.DebugString();
  return lsms::client::kExitOk;
}

int Reload() {
  auto channel = lsms::client::MakeChannel(Connection());
  if (!channel.ok()) return lsms::client::kExitInvalidInput;
  grpc::ClientContext ctx;
  // A reload loads and warms a model: give it longer than one slice.
  lsms::client::PrepareContext(&ctx, Connection(), std::max(absl::GetFlag(FLAGS_deadline), absl::Minutes(5)));
  lsms::v1::ReloadModelRequest request;
  request.set_checkpoint_path(absl::GetFlag(FLAGS_checkpoint));
  lsms::v1::ReloadModelResponse response;
  grpc::Status s = lsms::v1::SegmentationService::NewStub(*channel)->ReloadModel(&ctx, request, &response);
  if (!s.ok()) {
    std::cerr << "lsms-client: ReloadModel failed: " << s.error_message() << "\n";
    return ExitCodeFor(s.error_code());
  }
  std::cout << "now serving " << response.version() << " (was " << response.previous_version() << "), loaded in "
            << response.load_ms() << " ms\n";
  return lsms::client::kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  lsms::InitFlagsUsage(
      "lsms-client health|info|reload|segment|bench|demo [flags]\n"
      "Exit codes: 0 ok, 2 usage, 3 unreachable, 4 invalid input, 5 server error, 6 deadline, 7 not authenticated or not permitted.");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() < 2) {
    std::cerr << "usage: lsms-client health|info|reload|segment|bench|demo [flags] (--help for all flags)\n";
    return lsms::client::kExitUsage;
  }
  const std::string cmd = args[1];
  if (cmd == "health") return Health();
  if (cmd == "info") return Info();
  if (cmd == "reload") return Reload();
  if (cmd == "segment") {
    lsms::client::SegmentOptions o;
    o.connection = Connection();
    o.retry.max_attempts = 1 + std::max(0, absl::GetFlag(FLAGS_retries));
    o.inputs = List(absl::GetFlag(FLAGS_input));
    o.expression = absl::GetFlag(FLAGS_expression);
    o.out_dir = absl::GetFlag(FLAGS_out);
    if (absl::GetFlag(FLAGS_threshold) >= 0) o.threshold = static_cast<float>(absl::GetFlag(FLAGS_threshold));
    o.deadline = absl::GetFlag(FLAGS_deadline);
    o.dicom_seg = absl::GetFlag(FLAGS_seg);
    o.probability_map = absl::GetFlag(FLAGS_probability_map);
    return lsms::client::RunSegment(o);
  }
  if (cmd == "demo") {
    lsms::client::DemoOptions o;
    o.connection = Connection();
    o.manifest = absl::GetFlag(FLAGS_manifest);
    o.out_dir = absl::GetFlag(FLAGS_out) == "lsms-out" ? "demo-out" : absl::GetFlag(FLAGS_out);
    o.deadline = absl::GetFlag(FLAGS_deadline);
    return lsms::client::RunDemo(o);
  }
  if (cmd == "bench") {
    lsms::client::BenchOptions o;
    o.connection = Connection();
    o.retry.max_attempts = 1 + std::max(0, absl::GetFlag(FLAGS_bench_retries));
    o.inputs = List(absl::GetFlag(FLAGS_input).empty() ? "samples/images" : absl::GetFlag(FLAGS_input));
    o.expressions = List(absl::GetFlag(FLAGS_expressions), '|');
    o.concurrency.clear();
    for (const auto& c : List(absl::GetFlag(FLAGS_concurrency))) {
      int v = 0;
      if (!absl::SimpleAtoi(c, &v) || v < 1 || v > 1024) {
        std::cerr << "lsms-client bench: bad --concurrency entry '" << c << "'\n";
        return lsms::client::kExitUsage;
      }
      o.concurrency.push_back(v);
    }
    o.rate = absl::GetFlag(FLAGS_rate);
    o.arrivals = absl::GetFlag(FLAGS_arrivals);
    o.channels = absl::GetFlag(FLAGS_channels);
    o.warmup = absl::GetFlag(FLAGS_warmup);
    o.window = absl::GetFlag(FLAGS_window);
    o.max_windows = absl::GetFlag(FLAGS_max_windows);
    o.stability = absl::GetFlag(FLAGS_stability);
    o.max_requests = absl::GetFlag(FLAGS_max_requests);
    o.deadline = absl::GetFlag(FLAGS_deadline);
    o.metrics_url = absl::GetFlag(FLAGS_metrics_url);
    o.csv = absl::GetFlag(FLAGS_csv);
    o.json = absl::GetFlag(FLAGS_json);
    return lsms::client::RunBench(o);
  }
  std::cerr << "lsms-client: unknown command '" << cmd << "'\n";
  return lsms::client::kExitUsage;
}
