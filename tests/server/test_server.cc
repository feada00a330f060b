#include "tests/server/test_server.h"

#include <gtest/gtest.h>

namespace lsms::testing {

ServerOptions LoopbackServerOptions(const std::string& checkpoint) {
  ServerOptions o;
  o.listen_address = "127.0.0.1:0";
  o.metrics.listen_address = "127.0.0.1:0";
  o.runner.model.checkpoint_path = checkpoint;
  o.runner.model.device = "cpu";
  o.runner.warmup_iterations = 1;
  return o;
}

ServerOptions FakeServerOptions(const std::string& checkpoint, const FakeModelOptions& fake) {
  ServerOptions o = LoopbackServerOptions(checkpoint);
  o.runner.segmenter_factory = [fake](const Segmenter::Options& m) { return LoadFakeSegmenter(m, fake); };
  return o;
}

std::unique_ptr<Server> StartTestServer(const ServerOptions& options) {
  auto server = Server::Create(options);
  EXPECT_TRUE(server.ok()) << server.status();
  if (!server.ok()) return nullptr;
  auto st = (*server)->WarmUp();
  EXPECT_TRUE(st.ok()) << st;
  return st.ok() ? std::move(*server) : nullptr;
}

}  // namespace lsms::testing
