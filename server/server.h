// Server: owns the model runner, the gRPC server, health and reflection.
// Created from ServerOptions (flags are parsed only in main.cc).
//
// Lifecycle: Create() loads every model instance and starts listening with
// health NOT_SERVING; WarmUp() runs every allowed batch size, fixes the batch
// policy and flips health to SERVING. Shutdown(): health NOT_SERVING, no new
// work admitted, queued and in-flight work finished, then the gRPC server
// stops (in-flight RPCs get up to drain_grace). Thread-safe.
#ifndef LSMS_SERVER_SERVER_H_
#define LSMS_SERVER_SERVER_H_

#include <atomic>
#include <deque>
#include <functional>
#include <thread>
#include <utility>
#include <memory>
#include <string>

#include <grpcpp/server.h>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/metrics/server_metrics.h"
#include "server/model_runner.h"
#include "server/security/auth_processor.h"
#include "server/security/tls_credentials.h"
#include "server/segmentation_service.h"

namespace lsms {

struct ServerOptions {
  // host:port to listen on; port 0 picks a free port (see Server::port()).
  // Loopback by default: serving the network is an explicit choice.
  std::string listen_address = "127.0.0.1:50051";
  // TLS / mutual TLS on the gRPC port (tls_credentials.h); plaintext when off.
  TlsOptions tls;
  // Bearer-token / JWT authentication of every call (auth_processor.h);
  // requires TLS.
  AuthOptions auth;
  // gRPC server reflection (grpcurl, grpcui); with authentication on, only
  // callers with the admin scope may use it.
  bool reflection = false;
  ModelRunnerOptions runner;
  ServiceOptions service;
  // Largest accepted request message, bytes (a DICOM slice is ~0.5 MiB).
  int max_receive_message_bytes = 64 << 20;
  // How long Shutdown() lets in-flight RPCs finish.
  absl::Duration drain_grace = absl::Seconds(20);
  // Prometheus endpoint; disabled when enable_metrics is false.
  bool enable_metrics = true;
  MetricsOptions metrics;
};

class Server {
 public:
  static absl::StatusOr<std::unique_ptr<Server>> Create(const ServerOptions& options);
  ~Server();

  absl::Status WarmUp();
  int port() const { return port_; }
  // A channel to this server inside the process (no socket; what the
  // in-process tests use). Not to be used after Shutdown(): gRPC 1.51
  // crashes on a call through it then.
  std::shared_ptr<grpc::Channel> InProcessChannel() const;
  // Blocks until Shutdown() completes.
  void Wait();
  void Shutdown();

  // Hot reload (ModelRunner::Reload): loads `checkpoint_path` (empty: the
  // configured one), warms it up and swaps it in; updates GetModelInfo and
  // the metrics. Blocks for the load; the old model serves throughout and
  // keeps serving on error.
  absl::StatusOr<lsms::v1::ReloadModelResponse> ReloadModel(const std::string& checkpoint_path);
  // The same on the server's reload thread (SIGHUP, the ReloadModel RPC);
  // `done` is called there. After Shutdown() it is called with UNAVAILABLE.
  void ReloadModelAsync(std::string checkpoint_path,
                        std::function<void(absl::StatusOr<lsms::v1::ReloadModelResponse>)> done);

  ModelRunner& runner() { return *runner_; }
  SegmentationService& service() { return *service_; }
  // Port of /metrics, 0 when metrics are disabled.
  int metrics_port() const { return metrics_ ? metrics_->port() : 0; }

 private:
  Server() = default;
  // Hands the service the full and the public ModelInfo.
  void PublishModelInfo();

  ServerOptions options_;
  std::unique_ptr<ServerMetrics> metrics_;  // outlives the runner and service
  std::unique_ptr<ModelRunner> runner_;
  std::unique_ptr<SegmentationService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::atomic<bool> shut_down_{false};

  // The reload thread and its queue.
  void ReloadLoop();
  bool ReloadWorkOrStop() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(reload_mu_) {
    return reload_stop_ || !reload_jobs_.empty();
  }
  using ReloadJob = std::pair<std::string, std::function<void(absl::StatusOr<lsms::v1::ReloadModelResponse>)>>;
  mutable absl::Mutex reload_mu_;
  std::deque<ReloadJob> reload_jobs_ ABSL_GUARDED_BY(reload_mu_);
  bool reload_stop_ ABSL_GUARDED_BY(reload_mu_) = false;
  std::thread reload_thread_;
};

// The ModelInfo message for a loaded model and its batching policy. With
// `private_provenance` it carries the training command, the data and the
// detailed summary (callers with the admin scope see that one); without,
// those are left out.
lsms::v1::ModelInfo MakeModelInfo(const Segmenter& segmenter, const lsms::v1::BatchingPolicy& policy,
                                  bool private_provenance);

}  // namespace lsms

#endif  // LSMS_SERVER_SERVER_H_
