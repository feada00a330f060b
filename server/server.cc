#include "server/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/server_builder.h>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/dicom/dicom_image.h"

namespace lsms {

lsms::v1::ModelInfo MakeModelInfo(const Segmenter& s, const lsms::v1::BatchingPolicy& policy) {
  lsms::v1::ModelInfo info;
  const auto& p = s.provenance();
  info.set_name(p.name);
  info.set_version(p.version);
  info.set_preset(s.config().preset);
  info.set_input_size(static_cast<uint32_t>(s.config().input_size));
  info.set_device(s.device());
  info.set_max_tokens(static_cast<uint32_t>(s.config().max_tokens));
  info.set_default_threshold(s.config().default_threshold);
  info.set_parameter_count(static_cast<uint64_t>(s.parameter_count()));
  *info.mutable_batching() = policy;
  auto* prov = info.mutable_provenance();
  prov->set_training_command(p.training_command);
  prov->set_data(p.data);
  prov->set_created(p.created);
  prov->set_metrics_json(p.metrics_json);
  for (const auto& leg : p.legs) prov->add_legs(leg);
  return info;
}

absl::StatusOr<std::unique_ptr<Server>> Server::Create(const ServerOptions& options) {
  LSMS_RETURN_IF_ERROR(InitDicomCodecs());
  auto server = std::unique_ptr<Server>(new Server());
  server->options_ = options;
  LSMS_ASSIGN_OR_RETURN(server->runner_, ModelRunner::Create(options.runner));
  server->service_ = std::make_unique<SegmentationService>(
      server->runner_.get(), MakeModelInfo(server->runner_->model(), server->runner_->policy()),
      options.service);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen_address, grpc::InsecureServerCredentials(), &server->port_);
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  builder.RegisterService(server->service_.get());
  server->server_ = builder.BuildAndStart();
  if (!server->server_ || server->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen_address));
  }
  server->server_->GetHealthCheckService()->SetServingStatus(false);
  return server;
}

absl::Status Server::WarmUp() {
  LSMS_RETURN_IF_ERROR(runner_->WarmUp());
  service_->SetModelInfo(MakeModelInfo(runner_->model(), runner_->policy()));
  if (shut_down_) return absl::CancelledError("shut down during warm-up");
  service_->SetReady(true);
  server_->GetHealthCheckService()->SetServingStatus(true);
  return absl::OkStatus();
}

Server::~Server() { Shutdown(); }

void Server::Wait() {
  if (server_) server_->Wait();
}

void Server::Shutdown() {
  if (!server_ || shut_down_.exchange(true)) return;
  // Health first, so load balancers stop sending; then refuse new work,
  // finish everything queued, and only then stop the transport.
  server_->GetHealthCheckService()->Shutdown();
  service_->SetReady(false);
  runner_->Shutdown();
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoSeconds(options_.drain_grace));
}

}  // namespace lsms
