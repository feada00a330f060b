// Real lsms servers for tests: loopback ports, CPU, one warm-up pass; with
// the small libtorch test checkpoint (TestServerOptions) or with the fake
// model (FakeServerOptions, no libtorch: fast, sanitizer-friendly).
#ifndef LSMS_TESTS_SERVER_TEST_SERVER_H_
#define LSMS_TESTS_SERVER_TEST_SERVER_H_

#include <memory>
#include <string>

#include <grpcpp/channel.h>

#include "server/server.h"
#include "tests/server/fake_segmenter.h"

namespace lsms::testing {

// Loopback ports, CPU, one warm-up pass; no model factory yet.
ServerOptions LoopbackServerOptions(const std::string& checkpoint);

// With the libtorch model (links lsms_test_server).
ServerOptions TestServerOptions(const std::string& checkpoint);

// With the fake model; `checkpoint` from WriteFakeCheckpoint().
ServerOptions FakeServerOptions(const std::string& checkpoint, const FakeModelOptions& fake = {});

// One message, as raw bytes, to a method by name (any service, no generated
// stub needed) with an optional bearer token; the call's status.
grpc::Status RawUnaryCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                          const std::string& request_bytes, const std::string& bearer_token = "");

// Creates the server and warms it up; fails the test (returns null) on error.
std::unique_ptr<Server> StartTestServer(const ServerOptions& options);

}  // namespace lsms::testing

#endif  // LSMS_TESTS_SERVER_TEST_SERVER_H_
