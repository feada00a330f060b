// lsms-client: command-line client of the LSMS service.
//   lsms-client health [--target host:port] SERVING / NOT_SERVING (exit 0 only when serving)
//   lsms-client info [--target host:port]   model information
// Exit codes: 0 success, 2 usage, 3 unreachable, 4 invalid input,
// 5 server error, 6 deadline exceeded.
#include <iostream>

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/time/time.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "lsms/v1/segmentation.grpc.pb.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "Server address host:port.");
ABSL_FLAG(absl::Duration, deadline, absl::Seconds(10), "Deadline of each call.");

namespace {

enum ExitCode { kOk = 0, kUsage = 2, kUnreachable = 3, kInvalid = 4, kServerError = 5, kDeadline = 6 };

int ExitFor(const grpc::Status& s) {
  switch (s.error_code()) {
    case grpc::StatusCode::OK: return kOk;
    case grpc::StatusCode::UNAVAILABLE: return kUnreachable;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::UNIMPLEMENTED: return kInvalid;
    case grpc::StatusCode::DEADLINE_EXCEEDED: return kDeadline;
    default: return kServerError;
  }
}

int Health() {
  auto channel = grpc::CreateChannel(absl::GetFlag(FLAGS_target), grpc::InsecureChannelCredentials());
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::GetFlag(FLAGS_deadline)));
  grpc::health::v1::HealthCheckResponse r;
  grpc::Status s = stub->Check(&ctx, grpc::health::v1::HealthCheckRequest(), &r);
  if (!s.ok()) {
    std::cerr << "lsms-client: health check failed: " << s.error_message() << "\n";
    return ExitFor(s);
  }
  std::cout << grpc::health::v1::HealthCheckResponse::ServingStatus_Name(r.status()) << "\n";
  return r.status() == grpc::health::v1::HealthCheckResponse::SERVING ? kOk : kUnreachable;
}

int Info() {
  auto channel = grpc::CreateChannel(absl::GetFlag(FLAGS_target), grpc::InsecureChannelCredentials());
  auto stub = lsms::v1::SegmentationService::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::GetFlag(FLAGS_deadline)));
  lsms::v1::ModelInfo info;
  grpc::Status s = stub->GetModelInfo(&ctx, lsms::v1::GetModelInfoRequest(), &info);
  if (!s.ok()) {
    std::cerr << "lsms-client: GetModelInfo failed: " << s.error_message() << " (code " << s.error_code() << ")\n";
    return ExitFor(s);
  }
  std::cout << info.DebugString();
  return kOk;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("lsms-client info [--target host:port]");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() < 2) {
    std::cerr << "usage: lsms-client info [--target host:port]\n";
    return kUsage;
  }
  const std::string cmd = args[1];
  if (cmd == "info") return Info();
  if (cmd == "health") return Health();
  std::cerr << "lsms-client: unknown command '" << cmd << "'\n";
  return kUsage;
}
