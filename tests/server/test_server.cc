#include "tests/server/test_server.h"

#include <grpcpp/generic/generic_stub.h>
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

grpc::Status RawUnaryCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                          const std::string& request_bytes, const std::string& bearer_token) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (!bearer_token.empty()) ctx.AddMetadata("authorization", "Bearer " + bearer_token);
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer request(&slice, 1), response;
  grpc::CompletionQueue cq;
  grpc::Status status;
  auto call = stub.PrepareUnaryCall(&ctx, method, request, &cq);
  call->StartCall();
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  cq.Next(&tag, &ok);
  return status;
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
