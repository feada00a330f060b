// The /metrics endpoint keeps answering scrapes while other clients hold
// connections open or send their request a byte at a time (issue 29 row 6:
// one slow client used to fail every scrape).
#include "server/metrics/metrics_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>

namespace lsms {
namespace {

int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
  timeval tv{3, 0};  // a scrape that waits longer than this has failed
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

// Sends a request and reads the answer until the server closes (or the 3 s timeout).
std::string Exchange(int fd, const std::string& request) {
  EXPECT_EQ(send(fd, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

class MetricsHttpServerTest : public testing::Test {
 protected:
  void SetUp() override {
    registry_ = std::make_shared<prometheus::Registry>();
    prometheus::BuildCounter().Name("lsms_test_total").Help("test").Register(*registry_).Add({}).Increment(3);
    MetricsHttpServer::Limits limits;
    limits.max_connections = 8;
    limits.deadline = absl::Seconds(1);
    auto s = MetricsHttpServer::Create("127.0.0.1:0", registry_.get(), limits);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
  }
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<MetricsHttpServer> server_;
};

TEST_F(MetricsHttpServerTest, ScrapesAnswerWhileSlowAndIdleClientsHoldConnections) {
  std::vector<int> idle;
  for (int i = 0; i < 40; ++i) idle.push_back(Connect(server_->port()));  // 5× the connection cap
  const int slow = Connect(server_->port());
  ASSERT_EQ(send(slow, "GET /met", 8, MSG_NOSIGNAL), 8);  // and never the rest
  for (int k = 0; k < 3; ++k) {
    const int fd = Connect(server_->port());
    const std::string answer = Exchange(fd, "GET /metrics HTTP/1.0\r\n\r\n");
    close(fd);
    EXPECT_EQ(answer.rfind("HTTP/1.0 200 OK", 0), 0u) << answer.substr(0, 80);
    EXPECT_NE(answer.find("lsms_test_total 3"), std::string::npos) << answer.substr(0, 300);
  }
  for (int fd : idle) close(fd);
  close(slow);
}

TEST_F(MetricsHttpServerTest, AConnectionThatNeverCompletesItsRequestIsClosedAtItsDeadline) {
  const int fd = Connect(server_->port());
  ASSERT_EQ(send(fd, "GET /metrics HTTP/1.0\r\n", 23, MSG_NOSIGNAL), 23);  // no blank line
  char c;
  EXPECT_EQ(recv(fd, &c, 1, 0), 0);  // closed by the server (1 s), before the client's 3 s timeout
  close(fd);
  const int other = Connect(server_->port());
  EXPECT_EQ(Exchange(other, "GET /nope HTTP/1.0\r\n\r\n").rfind("HTTP/1.0 404", 0), 0u);
  close(other);
}

}  // namespace
}  // namespace lsms
