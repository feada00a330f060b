// ServerMetrics: the one owner of the Prometheus registry (prometheus-cpp
// 1.0.1) and its HTTP endpoint (MetricsHttpServer; see there why not
// prometheus::Exposer). Every family and metric is built once in
// Create(); the hot path only increments references. Labels are low
// cardinality (rpc, gRPC code, reason, stage) — never patient, study or
// request ids. Names follow the Prometheus guide: prefix lsms_, base units,
// counters end in _total. Thread-safe.
#ifndef LSMS_SERVER_METRICS_SERVER_METRICS_H_
#define LSMS_SERVER_METRICS_SERVER_METRICS_H_

#include <array>
#include <functional>
#include <memory>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "lsms/v1/segmentation.pb.h"
#include "server/metrics/metrics_http_server.h"

namespace lsms {

enum class Rpc { kSegment = 0, kSegmentSeries = 1, kGetModelInfo = 2, kReloadModel = 3 };
inline constexpr int kNumRpcs = 4;

struct MetricsOptions {
  // HTTP listen address (IPv4) of /metrics; port 0 picks a free port. The library
  // default is loopback/any port (tests); lsms-server's flag defaults to
  // 0.0.0.0:9464.
  std::string listen_address = "127.0.0.1:0";
};

// Values read at scrape time.
struct MetricsSources {
  std::function<int()> queue_size;
  int queue_capacity = 0;
  std::function<int64_t()> device_memory_allocated;
  std::function<int64_t()> device_memory_reserved;
  // The expression cache: lookups that found / did not find the text
  // encoder's output, and the entries held.
  std::function<int64_t()> expression_cache_hits;
  std::function<int64_t()> expression_cache_misses;
  std::function<int64_t()> expression_cache_entries;
};

class ServerMetrics {
 public:
  static absl::StatusOr<std::unique_ptr<ServerMetrics>> Create(const MetricsOptions& options);
  ~ServerMetrics();

  int port() const;

  // The serving model (lsms_model_info); a reload replaces the series.
  void SetModelInfo(const std::string& name, const std::string& version, const std::string& preset,
                    const std::string& device);
  // One hot reload attempt (lsms_model_reloads_total{result}).
  void ObserveReload(bool ok);
  void SetSources(MetricsSources sources);
  void SetLoadDuration(absl::Duration d);
  void SetWarmupDuration(absl::Duration d);
  void SetReady(bool ready);

  // One answered request: its final status and (when OK) its timings.
  void ObserveRequest(Rpc rpc, const absl::Status& status, const lsms::v1::Timing* timing);
  // One executed batch.
  void ObserveBatch(int batch_size);

 private:
  class Collector;
  ServerMetrics() = default;

  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<Collector> collector_;
  std::unique_ptr<MetricsHttpServer> http_;

  std::array<std::array<prometheus::Counter*, 17>, kNumRpcs> requests_{};
  prometheus::Histogram* request_seconds_ = nullptr;
  prometheus::Histogram* queue_seconds_ = nullptr;
  prometheus::Histogram* preprocess_seconds_ = nullptr;
  prometheus::Histogram* inference_seconds_ = nullptr;
  prometheus::Histogram* postprocess_seconds_ = nullptr;
  prometheus::Histogram* batch_size_ = nullptr;
  prometheus::Counter* inferences_ = nullptr;
  prometheus::Counter* batches_ = nullptr;
  prometheus::Counter* reject_queue_full_ = nullptr;
  prometheus::Counter* reject_deadline_ = nullptr;
  prometheus::Counter* reject_cancelled_ = nullptr;
  prometheus::Counter* reject_invalid_ = nullptr;
  prometheus::Counter* reject_unavailable_ = nullptr;
  prometheus::Gauge* load_seconds_ = nullptr;
  prometheus::Gauge* warmup_seconds_ = nullptr;
  prometheus::Gauge* ready_ = nullptr;
  prometheus::Family<prometheus::Gauge>* info_family_ = nullptr;
  prometheus::Counter* reloads_ok_ = nullptr;
  prometheus::Counter* reloads_failed_ = nullptr;
  absl::Mutex info_mu_;
  prometheus::Gauge* info_ ABSL_GUARDED_BY(info_mu_) = nullptr;
};

// The bucket bounds of the duration histograms: ~1 ms to ~10 s.
const std::vector<double>& DurationBuckets();

}  // namespace lsms

#endif  // LSMS_SERVER_METRICS_SERVER_METRICS_H_
