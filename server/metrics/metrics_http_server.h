// MetricsHttpServer: a minimal HTTP/1.0 endpoint that serves GET /metrics in
// the Prometheus text format from a prometheus::Collectable.
//
// Why not prometheus::Exposer: on Debian 12, civetweb (under prometheus-cpp's
// Exposer) cannot start its worker threads in a process that links
// libtorch_cpu — mg_start2 fails with "Cannot create first worker thread"
// (reproduced with a 10-line program: fine without libtorch_cpu, fails with
// it; civetweb's fixed small thread stacks are below what glibc needs once
// libtorch's static TLS is loaded). Scrapes are rare and small, so one
// thread serves every connection from a poll() loop: no connection can hold
// another up (a client that sends its request slowly, or never, was once
// able to block every scrape). Each connection has a deadline for its whole
// exchange; at most `max_connections` are open — a new one evicts the oldest.
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
#include "absl/time/time.h"

namespace lsms {

// Whether `received` is a whole request head ("\r\n\r\n" seen) or as much
// as will be read (`max_request_bytes`); the server answers then.
bool RequestHeadComplete(const std::string& received, size_t max_request_bytes);
// The whole HTTP answer to a request head: GET /metrics (or /) gets the
// collectable's metrics in the Prometheus text format, anything else 404.
std::string MetricsHttpAnswer(const std::string& request, const prometheus::Collectable& collectable);

class MetricsHttpServer {
 public:
  // `address` is "host:port" (IPv4; port 0 = any free port). `collectable`
  // must outlive the server.
  struct Limits {
    int max_connections = 64;
    absl::Duration deadline = absl::Seconds(5);  // read the request and write the answer
    size_t max_request_bytes = 16384;
  };
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Create(const std::string& address,
                                                                   const prometheus::Collectable* collectable,
                                                                   Limits limits);
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Create(const std::string& address,
                                                                   const prometheus::Collectable* collectable) {
    return Create(address, collectable, Limits{});
  }
  ~MetricsHttpServer();

  int port() const { return port_; }

 private:
  MetricsHttpServer() = default;
  void Serve();

  const prometheus::Collectable* collectable_ = nullptr;
  Limits limits_;
  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  int port_ = 0;
  std::thread thread_;
};

}  // namespace lsms

#endif  // LSMS_SERVER_METRICS_METRICS_HTTP_SERVER_H_
