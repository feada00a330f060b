// Minimal scrape of the server's Prometheus endpoint (plain HTTP/1.0 GET on
// loopback or any host:port) for the batch-size and queue-time histograms and
// the expression cache's counters.
#ifndef LSMS_CLIENT_METRICS_SCRAPE_H_
#define LSMS_CLIENT_METRICS_SCRAPE_H_

#include <string>

#include "absl/status/statusor.h"

namespace lsms::client {

struct ScrapeResult {
  bool ok = false;
  double batch_size_sum = 0, batch_count = 0;  // lsms_batch_size histogram
  double queue_sum = 0, queue_count = 0;       // lsms_queue_duration_seconds
  double cache_hits = 0, cache_misses = 0;     // lsms_expression_cache_{hits,misses}_total
};

// `url` like "http://127.0.0.1:9464/metrics".
absl::StatusOr<std::string> HttpGet(const std::string& url);
ScrapeResult Scrape(const std::string& url);
// Value of an un-labelled (or first matching) sample `name` in exposition text.
double SampleValue(const std::string& text, const std::string& name, double fallback = 0);

}  // namespace lsms::client

#endif  // LSMS_CLIENT_METRICS_SCRAPE_H_
