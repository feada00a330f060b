// A real lsms server for tests: loopback ports, the small test checkpoint,
// CPU, one warm-up pass.
#ifndef LSMS_TESTS_SERVER_TEST_SERVER_H_
#define LSMS_TESTS_SERVER_TEST_SERVER_H_

#include <memory>
#include <string>

#include "server/server.h"

namespace lsms::testing {

ServerOptions TestServerOptions(const std::string& checkpoint);

// Creates the server and warms it up; fails the test (returns null) on error.
std::unique_ptr<Server> StartTestServer(const ServerOptions& options);

}  // namespace lsms::testing

#endif  // LSMS_TESTS_SERVER_TEST_SERVER_H_
