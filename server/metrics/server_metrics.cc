#include "server/metrics/server_metrics.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include <prometheus/collectable.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace lsms {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

const char* RpcName(int i) {
  static const char* kNames[] = {"Segment", "SegmentSeries", "GetModelInfo", "ReloadModel"};
  return kNames[i];
}

const char* CodeName(int c) {
  static const char* kNames[] = {"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
                                 "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
                                 "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
                                 "UNAUTHENTICATED"};
  return kNames[c];
}

// Process CPU seconds (utime+stime) and resident bytes from /proc.
void ReadProcess(double* cpu_seconds, double* rss_bytes) {
  std::ifstream stat("/proc/self/stat");
  std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // Fields after the ")" that closes the command name; utime/stime are 14/15.
  const size_t close = content.rfind(')');
  std::istringstream rest(close == std::string::npos ? "" : content.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  *cpu_seconds = (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  std::ifstream statm("/proc/self/statm");
  double size = 0, resident = 0;
  statm >> size >> resident;
  *rss_bytes = resident * static_cast<double>(sysconf(_SC_PAGESIZE));
}

}  // namespace

const std::vector<double>& DurationBuckets() {
  static const std::vector<double> b = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                        0.25,  0.5,    1.0,   2.5,  5.0,   10.0};
  return b;
}

// Refreshes the scrape-time gauges, then returns the registry's families.
class ServerMetrics::Collector : public prometheus::Collectable {
 public:
  explicit Collector(std::shared_ptr<prometheus::Registry> registry) : registry_(std::move(registry)) {
    queue_ = &BuildGauge().Name("lsms_queue_requests").Help("Requests waiting in the batching queue.").Register(*registry_).Add({});
    capacity_ = &BuildGauge().Name("lsms_queue_capacity_requests").Help("Queue size at which requests are rejected.").Register(*registry_).Add({});
    alloc_ = &BuildGauge().Name("lsms_device_memory_allocated_bytes").Help("CUDA memory allocated by the model (0 on CPU).").Register(*registry_).Add({});
    reserved_ = &BuildGauge().Name("lsms_device_memory_reserved_bytes").Help("CUDA memory reserved by the caching allocator (0 on CPU).").Register(*registry_).Add({});
    cache_hits_ = &BuildCounter().Name("lsms_expression_cache_hits_total").Help("Expressions whose text-encoder output was reused.").Register(*registry_).Add({});
    cache_misses_ = &BuildCounter().Name("lsms_expression_cache_misses_total").Help("Expressions the text encoder ran for.").Register(*registry_).Add({});
    cache_entries_ = &BuildGauge().Name("lsms_expression_cache_entries").Help("Expressions held in the cache.").Register(*registry_).Add({});
    cpu_ = &BuildCounter().Name("process_cpu_seconds_total").Help("Total user and system CPU time spent in seconds.").Register(*registry_).Add({});
    rss_ = &BuildGauge().Name("process_resident_memory_bytes").Help("Resident memory size in bytes.").Register(*registry_).Add({});
  }

  void SetSources(MetricsSources s) {
    absl::MutexLock l(&mu_);
    sources_ = std::move(s);
  }

  std::vector<prometheus::MetricFamily> Collect() const override {
    {
      absl::MutexLock l(&mu_);
      if (sources_.queue_size) queue_->Set(sources_.queue_size());
      capacity_->Set(sources_.queue_capacity);
      if (sources_.device_memory_allocated) alloc_->Set(static_cast<double>(sources_.device_memory_allocated()));
      if (sources_.device_memory_reserved) reserved_->Set(static_cast<double>(sources_.device_memory_reserved()));
      // Counters move by the source's increase (it never decreases).
      auto advance = [](prometheus::Counter* c, const std::function<int64_t()>& f) {
        if (!f) return;
        const double v = static_cast<double>(f());
        if (v > c->Value()) c->Increment(v - c->Value());
      };
      advance(cache_hits_, sources_.expression_cache_hits);
      advance(cache_misses_, sources_.expression_cache_misses);
      if (sources_.expression_cache_entries) cache_entries_->Set(static_cast<double>(sources_.expression_cache_entries()));
      double cpu = 0, rss = 0;
      ReadProcess(&cpu, &rss);
      if (cpu > cpu_->Value()) cpu_->Increment(cpu - cpu_->Value());
      rss_->Set(rss);
    }
    return registry_->Collect();
  }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  mutable absl::Mutex mu_;
  MetricsSources sources_ ABSL_GUARDED_BY(mu_);
  prometheus::Gauge *queue_, *capacity_, *alloc_, *reserved_, *rss_, *cache_entries_;
  prometheus::Counter *cpu_, *cache_hits_, *cache_misses_;
};

absl::StatusOr<std::unique_ptr<ServerMetrics>> ServerMetrics::Create(const MetricsOptions& options) {
  auto m = std::unique_ptr<ServerMetrics>(new ServerMetrics());
  m->registry_ = std::make_shared<prometheus::Registry>();
  auto& r = *m->registry_;
  auto& requests = BuildCounter().Name("lsms_requests_total").Help("Answered requests by RPC and gRPC status code.").Register(r);
  for (int rpc = 0; rpc < kNumRpcs; ++rpc) {
    for (int code = 0; code < 17; ++code) m->requests_[rpc][code] = &requests.Add({{"rpc", RpcName(rpc)}, {"code", CodeName(code)}});
  }
  auto hist = [&r](const char* name, const char* help) {
    return &BuildHistogram().Name(name).Help(help).Register(r).Add({}, DurationBuckets());
  };
  m->request_seconds_ = hist("lsms_request_duration_seconds", "Time from receipt to response of successful slices.");
  m->queue_seconds_ = hist("lsms_queue_duration_seconds", "Time slices waited in the batching queue.");
  m->preprocess_seconds_ = hist("lsms_preprocess_duration_seconds", "DICOM decoding, windowing and tokenisation time.");
  m->inference_seconds_ = hist("lsms_inference_duration_seconds", "Model forward time of the batch each slice was in.");
  m->postprocess_seconds_ = hist("lsms_postprocess_duration_seconds", "Mask, encodings and summary time.");
  m->batch_size_ = &BuildHistogram().Name("lsms_batch_size").Help("Executed batch sizes.").Register(r).Add(
      {}, prometheus::Histogram::BucketBoundaries{1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64});
  m->inferences_ = &BuildCounter().Name("lsms_inferences_total").Help("Slices run through the model.").Register(r).Add({});
  m->batches_ = &BuildCounter().Name("lsms_batch_executions_total").Help("Batches run through the model.").Register(r).Add({});
  auto& rej = BuildCounter().Name("lsms_rejections_total").Help("Requests not computed, by reason.").Register(r);
  m->reject_queue_full_ = &rej.Add({{"reason", "queue_full"}});
  m->reject_deadline_ = &rej.Add({{"reason", "deadline"}});
  m->reject_cancelled_ = &rej.Add({{"reason", "cancelled"}});
  m->reject_invalid_ = &rej.Add({{"reason", "invalid_input"}});
  m->reject_unavailable_ = &rej.Add({{"reason", "unavailable"}});
  m->load_seconds_ = &BuildGauge().Name("lsms_model_load_duration_seconds").Help("Time to load every model instance.").Register(r).Add({});
  m->warmup_seconds_ = &BuildGauge().Name("lsms_model_warmup_duration_seconds").Help("Time to warm up every batch size.").Register(r).Add({});
  m->ready_ = &BuildGauge().Name("lsms_ready").Help("1 when the server is SERVING.").Register(r).Add({});
  m->info_family_ = &BuildGauge().Name("lsms_model_info").Help("The loaded model (constant 1).").Register(r);
  auto& reloads = BuildCounter().Name("lsms_model_reloads_total").Help("Hot model reloads by result.").Register(r);
  m->reloads_ok_ = &reloads.Add({{"result", "ok"}});
  m->reloads_failed_ = &reloads.Add({{"result", "error"}});
  m->collector_ = std::make_shared<Collector>(m->registry_);
  auto http = MetricsHttpServer::Create(options.listen_address, m->collector_.get());
  if (!http.ok()) return http.status();
  m->http_ = std::move(*http);
  return m;
}

ServerMetrics::~ServerMetrics() = default;  // http_ stops before the collector goes

int ServerMetrics::port() const { return http_->port(); }

void ServerMetrics::SetModelInfo(const std::string& name, const std::string& version, const std::string& preset,
                                 const std::string& device) {
  absl::MutexLock l(&info_mu_);
  prometheus::Gauge* next = &info_family_->Add({{"name", name}, {"version", version}, {"preset", preset}, {"device", device}});
  if (info_ != nullptr && info_ != next) info_family_->Remove(info_);
  info_ = next;
  info_->Set(1);
}

void ServerMetrics::ObserveReload(bool ok) { (ok ? reloads_ok_ : reloads_failed_)->Increment(); }

void ServerMetrics::SetSources(MetricsSources sources) { collector_->SetSources(std::move(sources)); }
void ServerMetrics::SetLoadDuration(absl::Duration d) { load_seconds_->Set(absl::ToDoubleSeconds(d)); }
void ServerMetrics::SetWarmupDuration(absl::Duration d) { warmup_seconds_->Set(absl::ToDoubleSeconds(d)); }
void ServerMetrics::SetReady(bool ready) { ready_->Set(ready ? 1 : 0); }

void ServerMetrics::ObserveRequest(Rpc rpc, const absl::Status& status, const lsms::v1::Timing* t) {
  const int code = static_cast<int>(status.code());
  requests_[static_cast<int>(rpc)][code >= 0 && code < 17 ? code : 2]->Increment();
  switch (status.code()) {
    case absl::StatusCode::kResourceExhausted: reject_queue_full_->Increment(); break;
    case absl::StatusCode::kDeadlineExceeded: reject_deadline_->Increment(); break;
    case absl::StatusCode::kCancelled: reject_cancelled_->Increment(); break;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kUnimplemented: reject_invalid_->Increment(); break;
    case absl::StatusCode::kUnavailable: reject_unavailable_->Increment(); break;
    default: break;
  }
  if (!status.ok() || t == nullptr) return;
  request_seconds_->Observe(t->total_ms() / 1e3);
  queue_seconds_->Observe(t->queue_ms() / 1e3);
  preprocess_seconds_->Observe(t->preprocess_ms() / 1e3);
  inference_seconds_->Observe(t->inference_ms() / 1e3);
  postprocess_seconds_->Observe(t->postprocess_ms() / 1e3);
}

void ServerMetrics::ObserveBatch(int batch_size) {
  batch_size_->Observe(batch_size);
  batches_->Increment();
  inferences_->Increment(batch_size);
}

}  // namespace lsms
