#include "server/metrics/metrics_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include <prometheus/text_serializer.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace lsms {
namespace {

// One client connection: its request head as read so far, then its answer.
struct Connection {
  int fd = -1;
  absl::Time deadline;
  std::string in, out;
  size_t sent = 0;
  bool answering = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Create(
    const std::string& address, const prometheus::Collectable* collectable, Limits limits) {
  if (limits.max_connections < 1 || limits.deadline <= absl::ZeroDuration() || limits.max_request_bytes < 64) {
    return absl::InvalidArgumentError("metrics: limits must allow a connection, a deadline and a request");
  }
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("metrics: bad listen address '", address, "'"));
  }
  std::string host = address.substr(0, colon);
  if (host.empty()) host = "0.0.0.0";
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &sa.sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("metrics: '", host, "' is not an IPv4 address"));
  }
  auto s = std::unique_ptr<MetricsHttpServer>(new MetricsHttpServer());
  s->collectable_ = collectable;
  s->limits_ = limits;
  s->listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  const int one = 1;
  setsockopt(s->listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (s->listen_fd_ < 0 || bind(s->listen_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0 ||
      listen(s->listen_fd_, 128) != 0) {
    return absl::UnavailableError(absl::StrCat("metrics: cannot listen on ", address, ": ", std::strerror(errno)));
  }
  socklen_t len = sizeof(sa);
  getsockname(s->listen_fd_, reinterpret_cast<sockaddr*>(&sa), &len);
  s->port_ = ntohs(sa.sin_port);
  if (pipe(s->wake_pipe_) != 0) return absl::InternalError("metrics: pipe failed");
  s->thread_ = std::thread([p = s.get()] { p->Serve(); });
  return s;
}

MetricsHttpServer::~MetricsHttpServer() {
  if (thread_.joinable()) {
    const char c = 0;
    [[maybe_unused]] ssize_t n = write(wake_pipe_[1], &c, 1);
    thread_.join();
  }
  for (int fd : {listen_fd_, wake_pipe_[0], wake_pipe_[1]}) {
    if (fd >= 0) close(fd);
  }
}

void MetricsHttpServer::Serve() {
  std::vector<Connection> conns;
  auto close_at = [&conns](size_t i) {
    close(conns[i].fd);
    conns.erase(conns.begin() + static_cast<std::ptrdiff_t>(i));
  };
  for (;;) {
    // Wait for the listener, the wake pipe and every connection, until the
    // earliest deadline.
    std::vector<pollfd> fds = {{listen_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    absl::Time next = absl::InfiniteFuture();
    for (const Connection& c : conns) {
      fds.push_back({c.fd, static_cast<short>(c.answering ? POLLOUT : POLLIN), 0});
      next = std::min(next, c.deadline);
    }
    const int timeout_ms =
        next == absl::InfiniteFuture()
            ? -1
            : static_cast<int>(std::max<int64_t>(0, absl::ToInt64Milliseconds(next - absl::Now()) + 1));
    if (poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR) break;
    if (fds[1].revents) break;  // shutting down
    const absl::Time now = absl::Now();
    // Serve the open connections first (indices match fds[2..]).
    for (size_t i = conns.size(); i-- > 0;) {
      Connection& c = conns[i];
      const short ev = fds[i + 2].revents;
      bool done = now >= c.deadline || (ev & (POLLERR | POLLNVAL));
      if (!done && !c.answering && (ev & (POLLIN | POLLHUP))) {
        char buf[2048];
        const ssize_t n = recv(c.fd, buf, sizeof(buf), 0);
        if (n > 0) c.in.append(buf, static_cast<size_t>(n));
        if (n == 0 || RequestHeadComplete(c.in, limits_.max_request_bytes)) {
          c.out = MetricsHttpAnswer(c.in, *collectable_);
          c.answering = true;
        } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          done = true;
        }
      }
      if (!done && c.answering && (ev & POLLOUT)) {
        const ssize_t n = send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
        if (n > 0) c.sent += static_cast<size_t>(n);
        done = (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) || c.sent == c.out.size();
      }
      if (done) close_at(i);
    }
    // Then accept what waits; at the cap the oldest connection makes room.
    if (fds[0].revents & POLLIN) {
      for (;;) {
        const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) break;
        if (static_cast<int>(conns.size()) >= limits_.max_connections) {
          size_t oldest = 0;
          for (size_t i = 1; i < conns.size(); ++i) {
            if (conns[i].deadline < conns[oldest].deadline) oldest = i;
          }
          close_at(oldest);
        }
        Connection c;
        c.fd = fd;
        c.deadline = absl::Now() + limits_.deadline;
        conns.push_back(std::move(c));
      }
    }
  }
  for (const Connection& c : conns) close(c.fd);
}

bool RequestHeadComplete(const std::string& received, size_t max_request_bytes) {
  return received.find("\r\n\r\n") != std::string::npos || received.size() >= max_request_bytes;
}

std::string MetricsHttpAnswer(const std::string& req, const prometheus::Collectable& collectable) {
  const bool get_metrics = absl::StartsWith(req, "GET /metrics ") || absl::StartsWith(req, "GET /metrics?") ||
                           absl::StartsWith(req, "GET / ");
  if (!get_metrics) {
    return "HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nnot found\n";
  }
  const std::string body = prometheus::TextSerializer().Serialize(collectable.Collect());
  return absl::StrCat("HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n",
                      "Content-Length: ", body.size(), "\r\nConnection: close\r\n\r\n", body);
}

}  // namespace lsms
