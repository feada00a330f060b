// Server: owns the model, the gRPC server, health and reflection. Created
// from ServerOptions (flags are parsed only in main.cc).
//
// Lifecycle: Create() loads the model and starts listening with health
// NOT_SERVING; Start warm-up flips it to SERVING; Shutdown() flips health to
// NOT_SERVING, stops admitting work, lets in-flight calls finish within the
// grace period and returns. Thread-safe.
#ifndef LSMS_SERVER_SERVER_H_
#define LSMS_SERVER_SERVER_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include <grpcpp/server.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "model/segmenter.h"
#include "server/segmentation_service.h"

namespace lsms {

struct ServerOptions {
  // host:port to listen on; port 0 picks a free port (see Server::port()).
  std::string listen_address = "0.0.0.0:50051";
  Segmenter::Options model;
  // Largest accepted request message (DICOM slices are ~0.5 MiB).
  int max_receive_message_bytes = 64 << 20;
  // How long Shutdown() lets in-flight work finish.
  absl::Duration drain_grace = absl::Seconds(20);
};

class Server {
 public:
  static absl::StatusOr<std::unique_ptr<Server>> Create(const ServerOptions& options);
  ~Server();

  int port() const { return port_; }
  // Blocks until Shutdown() completes.
  void Wait();
  void Shutdown();

 private:
  Server() = default;

  ServerOptions options_;
  std::unique_ptr<Segmenter> segmenter_;
  std::unique_ptr<SegmentationService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::atomic<bool> shut_down_{false};
};

// The ModelInfo message for a loaded model.
lsms::v1::ModelInfo MakeModelInfo(const Segmenter& segmenter);

}  // namespace lsms

#endif  // LSMS_SERVER_SERVER_H_
