// TestServerOptions: the libtorch model (kept apart so that fake-model tests
// link no libtorch).
#include "tests/server/test_server.h"

namespace lsms::testing {

ServerOptions TestServerOptions(const std::string& checkpoint) {
  ServerOptions o = LoopbackServerOptions(checkpoint);
  o.runner.segmenter_factory = [](const Segmenter::Options& m) { return Segmenter::Load(m); };
  return o;
}

}  // namespace lsms::testing
