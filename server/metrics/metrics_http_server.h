// MetricsHttpServer: a minimal HTTP/1.0 endpoint that serves GET /metrics in
// the Prometheus text format from a prometheus::Collectable.
//
// Why not prometheus::Exposer: on Debian 12, civetweb (under prometheus-cpp's
// Exposer) cannot start its worker threads in a process that links
// libtorch_cpu — mg_start2 fails with "Cannot create first worker thread"
// (reproduced with a 10-line program: fine without libtorch_cpu, fails with
// it; civetweb's fixed small thread stacks are below what glibc needs once
// libtorch's static TLS is loaded). Scrapes are rare and small, so one
// thread serving connections one at a time is enough.
//
// Thread-safety: Create/port/destructor from one thread; serving runs on its
// own thread.
#ifndef LSMS_SERVER_METRICS_METRICS_HTTP_SERVER_H_
#define LSMS_SERVER_METRICS_METRICS_HTTP_SERVER_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include <prometheus/collectable.h>

#include "absl/status/statusor.h"

namespace lsms {

class MetricsHttpServer {
 public:
  // `address` is "host:port" (IPv4; port 0 = any free port). `collectable`
  // must outlive the server.
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Create(const std::string& address,
                                                                   const prometheus::Collectable* collectable);
  ~MetricsHttpServer();

  int port() const { return port_; }

 private:
  MetricsHttpServer() = default;
  void Serve();
  void Handle(int fd) const;

  const prometheus::Collectable* collectable_ = nullptr;
  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  int port_ = 0;
  std::thread thread_;
};

}  // namespace lsms

#endif  // LSMS_SERVER_METRICS_METRICS_HTTP_SERVER_H_
