#include "client/bench_command.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "client/metrics_scrape.h"
#include "client/segment_command.h"
#include "common/png_codec.h"
#include "lsms/v1/segmentation.grpc.pb.h"

namespace lsms::client {
namespace {

struct LevelResult {
  std::string mode;
  double level = 0;  // concurrency or rate
  int64_t sent = 0, completed = 0, measured_ok = 0;
  std::map<std::string, int64_t> errors;  // by status name, all phases
  double seconds = 0, throughput = 0;
  double p50 = 0, p90 = 0, p95 = 0, p99 = 0, max = 0;  // ms
  double mean_batch = 0, mean_queue_ms = 0;
  double scraped_batch = -1, scraped_queue_ms = -1;
  double scraped_cache_hit_rate = -1;  // expression cache hits / lookups in the window
  int windows = 0;
  bool stable = false;
};

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(std::ceil(q * v.size())) - (q > 0 ? 1 : 0))];
}

struct Call {
  grpc::ClientContext ctx;
  lsms::v1::SegmentResponse resp;
  absl::Time start;
};

// Drives one level; thread-safe counters under mu_. Shared with every call in
// flight: a completion callback may still be leaving mu_ (or Start()ing the
// next call) when Drain() returns, so the last owner, not RunLevel, frees it.
class Load : public std::enable_shared_from_this<Load> {
 public:
  Load(const BenchOptions& o, std::vector<std::unique_ptr<lsms::v1::SegmentationService::Stub>>* stubs,
       const std::vector<lsms::v1::SegmentRequest>* requests)
      : o_(o), stubs_(stubs), requests_(requests) {}

  // Reserves an in-flight slot and starts a call (open loop, and the initial
  // closed-loop calls).
  void Issue() {
    int64_t n;
    {
      absl::MutexLock l(&mu_);
      if (stopping_ || sent_ >= o_.max_requests) return;
      n = sent_++;
      ++inflight_;
    }
    Start(n);
  }

  // Starts call number `n` in an already reserved slot; the callback holds a
  // reference to this Load.
  void Start(int64_t n) {
    auto* call = new Call();
    call->start = absl::Now();
    PrepareContext(&call->ctx, o_.connection, o_.deadline);
    const auto& req = (*requests_)[static_cast<size_t>(n) % requests_->size()];
    auto& stub = (*stubs_)[static_cast<size_t>(n) % stubs_->size()];
    stub->async()->Segment(&call->ctx, &req, &call->resp, [self = shared_from_this(), call](grpc::Status st) {
      self->OnDone(call, st);
      delete call;
    });
  }

  void OnDone(Call* call, const grpc::Status& st);

  void StartMeasuring() {
    absl::MutexLock l(&mu_);
    measuring_ = true;
  }
  // Closes the current window: returns its ok count.
  int64_t CloseWindow() {
    absl::MutexLock l(&mu_);
    int64_t n = window_ok_;
    window_ok_ = 0;
    return n;
  }
  void Stop() {
    absl::MutexLock l(&mu_);
    stopping_ = true;
  }
  // Waits (bounded) until no call is in flight.
  bool Drain(absl::Duration timeout) {
    absl::MutexLock l(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(+[](int* n) { return *n == 0; }, &inflight_), timeout);
  }
  bool closed_loop = true;

  absl::Mutex mu_;
  int64_t sent_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t completed_ ABSL_GUARDED_BY(mu_) = 0;
  int inflight_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool measuring_ ABSL_GUARDED_BY(mu_) = false;
  int64_t window_ok_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<double> latencies_ms_ ABSL_GUARDED_BY(mu_);
  double batch_sum_ ABSL_GUARDED_BY(mu_) = 0, queue_sum_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, int64_t> errors_ ABSL_GUARDED_BY(mu_);

 private:
  const BenchOptions& o_;
  std::vector<std::unique_ptr<lsms::v1::SegmentationService::Stub>>* stubs_;
  const std::vector<lsms::v1::SegmentRequest>* requests_;
};

void Load::OnDone(Call* call, const grpc::Status& st) {
  const double ms = absl::ToDoubleMilliseconds(absl::Now() - call->start);
  int64_t next = -1;
  {
    absl::MutexLock l(&mu_);
    ++completed_;
    if (!st.ok()) {
      ++errors_[absl::StatusCodeToString(static_cast<absl::StatusCode>(st.error_code()))];
    } else if (measuring_ && !stopping_) {
      ++window_ok_;
      latencies_ms_.push_back(ms);
      batch_sum_ += call->resp.timing().batch_size();
      queue_sum_ += call->resp.timing().queue_ms();
    }
    // Closed loop: the slot passes straight to the next call; otherwise it is
    // released (the last release lets Drain() return).
    if (closed_loop && !stopping_ && sent_ < o_.max_requests) {
      next = sent_++;
    } else {
      --inflight_;
    }
  }
  if (next >= 0) Start(next);
}

LevelResult RunLevel(const BenchOptions& o, std::vector<std::unique_ptr<lsms::v1::SegmentationService::Stub>>* stubs,
                     const std::vector<lsms::v1::SegmentRequest>& requests, int concurrency, double rate) {
  LevelResult res;
  res.mode = rate > 0 ? "open" : "closed";
  res.level = rate > 0 ? rate : concurrency;
  auto owned = std::make_shared<Load>(o, stubs, &requests);
  Load& load = *owned;
  load.closed_loop = rate <= 0;
  std::atomic<bool> stop_arrivals{false};
  std::thread arrivals;
  if (rate > 0) {
    arrivals = std::thread([&] {
      std::mt19937_64 rng(42);
      std::exponential_distribution<double> exp(rate);
      auto next = std::chrono::steady_clock::now();
      while (!stop_arrivals.load()) {
        const double gap = o.arrivals == "poisson" ? exp(rng) : 1.0 / rate;
        next += std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(gap));
        std::this_thread::sleep_until(next);  // the arrival process itself
        load.Issue();
      }
    });
  } else {
    for (int i = 0; i < concurrency; ++i) load.Issue();
  }
  const absl::Time level_start = absl::Now();
  std::this_thread::sleep_for(absl::ToChronoMilliseconds(o.warmup));
  ScrapeResult before = o.metrics_url.empty() ? ScrapeResult{} : Scrape(o.metrics_url);
  load.StartMeasuring();
  load.CloseWindow();
  std::vector<double> tput;
  const absl::Time measure_start = absl::Now();
  for (int w = 0; w < o.max_windows; ++w) {
    std::this_thread::sleep_for(absl::ToChronoMilliseconds(o.window));
    tput.push_back(load.CloseWindow() / absl::ToDoubleSeconds(o.window));
    res.windows = w + 1;
    if (o.progress) {
      std::cerr << absl::StrFormat("\r[%s %g] window %d: %.1f req/s          ", res.mode, res.level, w + 1, tput.back())
                << std::flush;
    }
    if (static_cast<int>(tput.size()) >= std::max(3, o.min_windows)) {
      auto last = std::vector<double>(tput.end() - 3, tput.end());
      const double mean = (last[0] + last[1] + last[2]) / 3;
      const double spread = *std::max_element(last.begin(), last.end()) - *std::min_element(last.begin(), last.end());
      if (mean > 0 && spread / mean <= o.stability) {
        res.stable = true;
        break;
      }
    }
    absl::MutexLock l(&load.mu_);
    if (load.sent_ >= o.max_requests) break;
  }
  load.Stop();
  res.seconds = absl::ToDoubleSeconds(absl::Now() - measure_start);
  ScrapeResult after = o.metrics_url.empty() ? ScrapeResult{} : Scrape(o.metrics_url);
  stop_arrivals = true;
  if (arrivals.joinable()) arrivals.join();
  if (!load.Drain(o.deadline + absl::Seconds(5))) {
    std::cerr << "lsms-client bench: calls still in flight after the deadline; abandoning them\n";
  }
  (void)level_start;
  absl::MutexLock l(&load.mu_);
  res.sent = load.sent_;
  res.completed = load.completed_;
  res.errors = load.errors_;
  res.measured_ok = static_cast<int64_t>(load.latencies_ms_.size());
  res.throughput = res.measured_ok / std::max(1e-9, res.seconds);
  res.p50 = Percentile(load.latencies_ms_, 0.50);
  res.p90 = Percentile(load.latencies_ms_, 0.90);
  res.p95 = Percentile(load.latencies_ms_, 0.95);
  res.p99 = Percentile(load.latencies_ms_, 0.99);
  res.max = load.latencies_ms_.empty() ? 0 : *std::max_element(load.latencies_ms_.begin(), load.latencies_ms_.end());
  if (res.measured_ok) {
    res.mean_batch = load.batch_sum_ / res.measured_ok;
    res.mean_queue_ms = load.queue_sum_ / res.measured_ok;
  }
  if (before.ok && after.ok && after.batch_count > before.batch_count) {
    res.scraped_batch = (after.batch_size_sum - before.batch_size_sum) / (after.batch_count - before.batch_count);
  }
  if (before.ok && after.ok && after.queue_count > before.queue_count) {
    res.scraped_queue_ms = 1e3 * (after.queue_sum - before.queue_sum) / (after.queue_count - before.queue_count);
  }
  if (before.ok && after.ok) {
    const double hits = after.cache_hits - before.cache_hits, misses = after.cache_misses - before.cache_misses;
    if (hits + misses > 0) res.scraped_cache_hit_rate = hits / (hits + misses);
  }
  if (o.progress) std::cerr << "\n";
  return res;
}

}  // namespace

int RunBench(const BenchOptions& o) {
  const auto files = CollectDicomFiles(o.inputs);
  if (files.empty()) {
    std::cerr << "lsms-client bench: no DICOM input (use --input)\n";
    return kExitUsage;
  }
  std::vector<lsms::v1::SegmentRequest> requests;
  const std::vector<std::string> exprs =
      o.expressions.empty() ? std::vector<std::string>{"the largest lesion"} : o.expressions;
  for (size_t i = 0; i < std::max(files.size(), exprs.size()); ++i) {
    auto bytes = ReadFile(files[i % files.size()]);
    if (!bytes.ok()) {
      std::cerr << "lsms-client bench: " << bytes.status().message() << "\n";
      return kExitInvalidInput;
    }
    lsms::v1::SegmentRequest r;
    r.set_request_id(absl::StrFormat("bench-%d", i));
    r.set_dicom(*bytes);
    r.set_expression(exprs[i % exprs.size()]);
    requests.push_back(std::move(r));
  }
  std::vector<std::unique_ptr<lsms::v1::SegmentationService::Stub>> stubs;
  for (int c = 0; c < std::max(1, o.channels); ++c) {
    auto ch = MakeChannel(o.connection, c);
    if (!ch.ok()) {
      std::cerr << "lsms-client bench: " << ch.status().message() << "\n";
      return kExitInvalidInput;
    }
    stubs.push_back(lsms::v1::SegmentationService::NewStub(*ch));
  }
  // Fail fast when the server is not there.
  {
    grpc::ClientContext ctx;
    PrepareContext(&ctx, o.connection, absl::Seconds(5));
    lsms::v1::ModelInfo info;
    grpc::Status st = stubs[0]->GetModelInfo(&ctx, {}, &info);
    if (!st.ok()) {
      std::cerr << "lsms-client bench: server unreachable: " << st.error_message() << "\n";
      return ExitCodeFor(st.error_code());
    }
  }
  std::vector<LevelResult> results;
  if (o.rate > 0) {
    results.push_back(RunLevel(o, &stubs, requests, 0, o.rate));
  } else {
    for (int c : o.concurrency) results.push_back(RunLevel(o, &stubs, requests, c, 0));
  }
  std::cout << absl::StrFormat("%-7s %7s %9s %8s %8s %8s %8s %8s %8s %7s %9s %7s %6s %s\n", "mode", "level", "req/s",
                               "p50 ms", "p90 ms", "p95 ms", "p99 ms", "max ms", "ok", "errors", "batch", "queue",
                               "cache", "stable");
  std::ofstream csv(o.csv);
  csv << "mode,level,sent,completed,measured_ok,errors,seconds,throughput_rps,p50_ms,p90_ms,p95_ms,p99_ms,max_ms,"
         "mean_batch_size,mean_queue_ms,scraped_batch_size,scraped_queue_ms,scraped_cache_hit_rate,windows,stable\n";
  nlohmann::json j = nlohmann::json::array();
  for (const auto& r : results) {
    int64_t errors = 0;
    for (const auto& [k, v] : r.errors) errors += v;
    const std::string cache =
        r.scraped_cache_hit_rate < 0 ? "-" : absl::StrFormat("%.0f%%", 100 * r.scraped_cache_hit_rate);
    std::cout << absl::StrFormat("%-7s %7g %9.2f %8.1f %8.1f %8.1f %8.1f %8.1f %8d %7d %9.2f %7.1f %6s %s\n", r.mode,
                                 r.level, r.throughput, r.p50, r.p90, r.p95, r.p99, r.max, r.measured_ok, errors,
                                 r.mean_batch, r.mean_queue_ms, cache, r.stable ? "yes" : "no");
    csv << absl::StrFormat("%s,%g,%d,%d,%d,%d,%.3f,%.3f,%.2f,%.2f,%.2f,%.2f,%.2f,%.3f,%.3f,%.3f,%.3f,%.4f,%d,%d\n",
                           r.mode, r.level, r.sent, r.completed, r.measured_ok, errors, r.seconds, r.throughput, r.p50,
                           r.p90, r.p95, r.p99, r.max, r.mean_batch, r.mean_queue_ms, r.scraped_batch,
                           r.scraped_queue_ms, r.scraped_cache_hit_rate, r.windows, r.stable ? 1 : 0);
    j.push_back({{"mode", r.mode}, {"level", r.level}, {"sent", r.sent}, {"completed", r.completed},
                 {"measured_ok", r.measured_ok}, {"errors", r.errors}, {"seconds", r.seconds},
                 {"throughput_rps", r.throughput},
                 {"latency_ms", {{"p50", r.p50}, {"p90", r.p90}, {"p95", r.p95}, {"p99", r.p99}, {"max", r.max}}},
                 {"mean_batch_size", r.mean_batch}, {"mean_queue_ms", r.mean_queue_ms},
                 {"scraped_batch_size", r.scraped_batch}, {"scraped_queue_ms", r.scraped_queue_ms},
                 {"scraped_cache_hit_rate", r.scraped_cache_hit_rate},
                 {"windows", r.windows}, {"stable", r.stable}});
  }
  std::ofstream(o.json) << j.dump(2) << "\n";
  return kExitOk;
}

}  // namespace lsms::client
