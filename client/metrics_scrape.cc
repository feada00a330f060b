#include "client/metrics_scrape.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace lsms::client {

absl::StatusOr<std::string> HttpGet(const std::string& url) {
  std::string rest = url;
  if (absl::StartsWith(rest, "http://")) rest = rest.substr(7);
  const size_t slash = rest.find('/');
  const std::string hostport = rest.substr(0, slash);
  const std::string path = slash == std::string::npos ? "/metrics" : rest.substr(slash);
  const size_t colon = hostport.rfind(':');
  if (colon == std::string::npos) return absl::InvalidArgumentError(absl::StrCat("no port in ", url));
  const std::string host = hostport.substr(0, colon), port = hostport.substr(colon + 1);
  addrinfo hints{}, *res = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0 || !res) {
    return absl::UnavailableError(absl::StrCat("cannot resolve ", hostport));
  }
  int fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
    freeaddrinfo(res);
    if (fd >= 0) close(fd);
    return absl::UnavailableError(absl::StrCat("cannot connect to ", hostport));
  }
  freeaddrinfo(res);
  const std::string req = absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: ", hostport, "\r\n\r\n");
  if (write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
    close(fd);
    return absl::UnavailableError("short write");
  }
  std::string body;
  char buf[8192];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) body.append(buf, static_cast<size_t>(n));
  close(fd);
  const size_t split = body.find("\r\n\r\n");
  if (split == std::string::npos || !absl::StartsWith(body, "HTTP/1.")) return absl::DataLossError("bad HTTP response");
  if (body.find(" 200 ") > split) return absl::UnavailableError(body.substr(0, body.find("\r\n")));
  return body.substr(split + 4);
}

double SampleValue(const std::string& text, const std::string& name, double fallback) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    if (!absl::StartsWith(line, name)) continue;
    const char next = line.size() > name.size() ? line[name.size()] : ' ';
    if (next != ' ' && next != '{') continue;
    const size_t sp = line.rfind(' ');
    double v;
    if (absl::SimpleAtod(line.substr(sp + 1), &v)) return v;
  }
  return fallback;
}

ScrapeResult Scrape(const std::string& url) {
  ScrapeResult r;
  auto text = HttpGet(url);
  if (!text.ok()) return r;
  r.ok = true;
  r.batch_size_sum = SampleValue(*text, "lsms_batch_size_sum");
  r.batch_count = SampleValue(*text, "lsms_batch_size_count");
  r.queue_sum = SampleValue(*text, "lsms_queue_duration_seconds_sum");
  r.queue_count = SampleValue(*text, "lsms_queue_duration_seconds_count");
  r.cache_hits = SampleValue(*text, "lsms_expression_cache_hits_total");
  r.cache_misses = SampleValue(*text, "lsms_expression_cache_misses_total");
  return r;
}

}  // namespace lsms::client
