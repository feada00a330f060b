#include "server/server.h"

#include <algorithm>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/impl/server_builder_option.h>
#include <grpcpp/server_builder.h>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/dicom/dicom_image.h"
#include "server/request_log.h"

namespace lsms {
namespace {

// Reflection on this server exactly when asked for. Loading libgrpc++_reflection
// registers its plugin for every server in the process (a static
// initializer), so the option removes it and adds one back when enabled.
class ReflectionOption final : public grpc::ServerBuilderOption {
 public:
  explicit ReflectionOption(bool enabled) : enabled_(enabled) {}
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    const std::string name = grpc::reflection::ProtoServerReflectionPlugin().name();
    plugins->erase(std::remove_if(plugins->begin(), plugins->end(), [&](const auto& p) { return p->name() == name; }),
                   plugins->end());
    if (enabled_) plugins->push_back(std::make_unique<grpc::reflection::ProtoServerReflectionPlugin>());
  }

 private:
  const bool enabled_;
};

}  // namespace

lsms::v1::ModelInfo MakeModelInfo(const Segmenter& s, const lsms::v1::BatchingPolicy& policy,
                                  bool private_provenance) {
  lsms::v1::ModelInfo info;
  const auto& p = s.provenance();
  info.set_name(p.name);
  info.set_version(p.version);
  info.set_preset(s.config().preset);
  info.set_input_size(static_cast<uint32_t>(s.config().input_size));
  info.set_device(s.device());
  info.set_max_tokens(static_cast<uint32_t>(s.config().max_tokens));
  info.set_default_threshold(s.config().default_threshold);
  info.set_liver_region_margin(s.config().roi_margin);
  info.set_present_threshold(s.config().present_threshold);
  info.set_peak_threshold(s.config().peak_threshold);
  info.set_candidate_threshold(s.config().candidate_threshold);
  info.set_selection_mask(s.config().selection_mask);
  info.set_parameter_count(static_cast<uint64_t>(s.parameter_count()));
  *info.mutable_batching() = policy;
  auto* prov = info.mutable_provenance();
  prov->set_created(p.created);
  prov->set_metrics_json(p.metrics_json);
  prov->set_summary(p.Summary(private_provenance));
  if (private_provenance) {
    prov->set_training_command(p.training_command);
    prov->set_data(p.data);
  }
  return info;
}

absl::StatusOr<std::unique_ptr<Server>> Server::Create(const ServerOptions& options) {
  LSMS_RETURN_IF_ERROR(InitDicomCodecs());
  auto server = std::unique_ptr<Server>(new Server());
  server->options_ = options;
  ModelRunnerOptions runner_options = options.runner;
  if (options.enable_metrics) {
    LSMS_ASSIGN_OR_RETURN(server->metrics_, ServerMetrics::Create(options.metrics));
    runner_options.on_batch = [m = server->metrics_.get()](int n) { m->ObserveBatch(n); };
  }
  const absl::Time load_start = absl::Now();
  LSMS_ASSIGN_OR_RETURN(server->runner_, ModelRunner::Create(runner_options));
  server->service_ = std::make_unique<SegmentationService>(server->runner_.get(), options.service,
                                                          server->metrics_.get());
  server->PublishModelInfo();
  if (server->metrics_) {
    ServerMetrics* m = server->metrics_.get();
    ModelRunner* r = server->runner_.get();
    m->SetLoadDuration(absl::Now() - load_start);
    m->SetSources({[r] { return r->queue_size(); }, options.runner.batching.max_queue_size,
                   [r] { return r->current()->model().device_memory_allocated(); },
                   [r] { return r->current()->model().device_memory_reserved(); },
                   [r] { return r->expression_cache_stats().hits; },
                   [r] { return r->expression_cache_stats().misses; },
                   [r] { return static_cast<int64_t>(r->expression_cache_stats().entries); }});
  }
  Server* self = server.get();
  server->reload_thread_ = std::thread([self] { self->ReloadLoop(); });
  server->service_->SetReloader([self](std::string path, auto done) {
    self->ReloadModelAsync(std::move(path), std::move(done));
  });

  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (options.tls.enabled()) {
    LSMS_ASSIGN_OR_RETURN(credentials, MakeTlsServerCredentials(options.tls));
  }
  if (options.auth.enabled()) {
    // gRPC runs auth processors only on secure credentials, and a bearer
    // token in plaintext is readable by anyone on the path.
    if (!options.tls.enabled()) {
      return absl::InvalidArgumentError("authentication (tokens or JWTs) requires TLS: set the TLS certificate and key");
    }
    LSMS_ASSIGN_OR_RETURN(auto processor,
                          AuthProcessor::Create(options.auth, [](absl::string_view method, absl::string_view caller,
                                                                 const absl::Status& status) {
                            LogRequest({std::string(method), caller.empty() ? "unauthenticated" : std::string(caller),
                                        "", "", status, nullptr});
                          }));
    credentials->SetAuthMetadataProcessor(std::move(processor));
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.SetOption(std::make_unique<ReflectionOption>(options.reflection));
  builder.AddListeningPort(options.listen_address, credentials, &server->port_);
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
  const absl::Time start = absl::Now();
  LSMS_RETURN_IF_ERROR(runner_->WarmUp());
  if (metrics_) metrics_->SetWarmupDuration(absl::Now() - start);
  PublishModelInfo();
  if (shut_down_) return absl::CancelledError("shut down during warm-up");
  service_->SetReady(true);
  server_->GetHealthCheckService()->SetServingStatus(true);
  if (metrics_) metrics_->SetReady(true);
  return absl::OkStatus();
}

void Server::PublishModelInfo() {
  const auto set = runner_->current();
  const Segmenter& model = set->model();
  service_->SetModelInfo(MakeModelInfo(model, runner_->policy(), /*private_provenance=*/true),
                         MakeModelInfo(model, runner_->policy(), /*private_provenance=*/false));
  if (metrics_) {
    metrics_->SetModelInfo(model.provenance().name, model.provenance().version, model.config().preset,
                           model.device());
  }
}

absl::StatusOr<lsms::v1::ReloadModelResponse> Server::ReloadModel(const std::string& checkpoint_path) {
  const std::string previous = runner_->current()->version();
  const absl::Time start = absl::Now();
  auto set = runner_->Reload(checkpoint_path);
  if (metrics_) metrics_->ObserveReload(set.ok());
  if (!set.ok()) {
    std::cerr << "lsms-server: model reload failed, still serving " << previous << ": " << set.status() << std::endl;
    return set.status();
  }
  PublishModelInfo();
  lsms::v1::ReloadModelResponse response;
  response.set_previous_version(previous);
  response.set_version((*set)->version());
  response.set_load_ms(absl::ToDoubleMilliseconds(absl::Now() - start));
  return response;
}

void Server::ReloadModelAsync(std::string checkpoint_path,
                              std::function<void(absl::StatusOr<lsms::v1::ReloadModelResponse>)> done) {
  {
    absl::MutexLock l(&reload_mu_);
    if (!reload_stop_) {
      reload_jobs_.emplace_back(std::move(checkpoint_path), std::move(done));
      return;
    }
  }
  done(absl::UnavailableError("server is shutting down"));
}

void Server::ReloadLoop() {
  while (true) {
    ReloadJob job;
    {
      absl::MutexLock l(&reload_mu_);
      reload_mu_.Await(absl::Condition(this, &Server::ReloadWorkOrStop));
      if (reload_jobs_.empty()) return;  // stopping, nothing left
      job = std::move(reload_jobs_.front());
      reload_jobs_.pop_front();
    }
    if (shut_down_) {
      job.second(absl::UnavailableError("server is shutting down"));
    } else {
      job.second(ReloadModel(job.first));
    }
  }
}

std::shared_ptr<grpc::Channel> Server::InProcessChannel() const {
  return server_->InProcessChannel(grpc::ChannelArguments());
}

Server::~Server() {
  Shutdown();
  {
    absl::MutexLock l(&reload_mu_);
    reload_stop_ = true;
  }
  if (reload_thread_.joinable()) reload_thread_.join();
}

void Server::Wait() {
  if (server_) server_->Wait();
}

void Server::Shutdown() {
  if (!server_ || shut_down_.exchange(true)) return;
  // Health first, so load balancers stop sending; then refuse new work,
  // finish everything queued, and only then stop the transport.
  server_->GetHealthCheckService()->Shutdown();
  service_->SetReady(false);
  if (metrics_) metrics_->SetReady(false);
  // The grace bounds the drain: work still queued at its end is answered
  // UNAVAILABLE (a batch in flight finishes); the transport then gets a
  // second to deliver the last answers.
  const absl::Time deadline = absl::Now() + options_.drain_grace;
  runner_->Shutdown(deadline);
  server_->Shutdown(absl::ToChronoTime(std::max(deadline, absl::Now() + absl::Seconds(1))));
}

}  // namespace lsms
