// lsms-server: the LSMS segmentation gRPC service. Flags are read only here.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <iostream>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "common/flags_usage.h"
#include "absl/time/time.h"
#include "server/dicom/dicom_image.h"
#include "server/server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "gRPC listen address (host:port; port 0 = any free port). Loopback by default; 0.0.0.0:50051 serves "
          "every interface.");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate chain of the server; with --tls_key, the gRPC port speaks TLS.");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert (unencrypted).");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA bundle; when set, clients must present a certificate signed by it (mutual TLS).");
ABSL_FLAG(absl::Duration, tls_reload_interval, absl::Seconds(10),
          "How often the TLS files are checked for changes; rotated certificates are used without a restart.");
ABSL_FLAG(std::string, auth_tokens, "",
          "Static bearer tokens: file of '<name> sha256:<hex> <scopes>' lines (scopes: segment, admin). Requires TLS.");
ABSL_FLAG(std::string, jwt_keys, "", "JWT bearer tokens: PEM public key or JWKS file to verify RS256/ES256. Requires TLS.");
ABSL_FLAG(std::string, jwt_issuer, "", "Required 'iss' of JWTs (with --jwt_keys).");
ABSL_FLAG(std::string, jwt_audience, "", "Required 'aud' of JWTs (with --jwt_keys).");
ABSL_FLAG(bool, reflection, false,
          "Serve gRPC reflection (grpcurl); with authentication, only to callers with the admin scope.");
ABSL_FLAG(std::string, checkpoint, "models/nano/lsms-nano.safetensors", "LSMS checkpoint (.safetensors).");
ABSL_FLAG(std::string, device, "auto", "auto (CUDA when available), cpu, cuda or cuda:N.");
ABSL_FLAG(std::string, autocast, "none", "Mixed precision on CUDA: none, fp16 or bf16.");
ABSL_FLAG(bool, flip_averaging, false,
          "Test-time flip averaging: also run the mirrored slice with left/right swapped in the expression "
          "and average (about twice the model time).");
ABSL_FLAG(int, threads, 0, "Intra-op CPU threads per model instance; 0 = libtorch default.");
ABSL_FLAG(int, max_receive_mb, 64, "Largest accepted request, MiB.");
ABSL_FLAG(absl::Duration, drain_grace, absl::Seconds(20), "On SIGTERM, time allowed for in-flight work.");
ABSL_FLAG(int, instances, 1, "Model instances (worker threads; one CUDA stream each on GPU).");
ABSL_FLAG(int, max_batch_size, 8, "Largest batch; warm-up may cap it lower (see --cap_batch_by_throughput).");
ABSL_FLAG(bool, cap_batch_by_throughput, true, "At warm-up, cap the batch size at the best measured images/s.");
ABSL_FLAG(absl::Duration, max_queue_delay, absl::Milliseconds(5),
          "Longest the oldest queued request waits for a batch to fill while another batch is running; an idle "
          "model runs what is queued at once (see --dispatch_when_idle).");
ABSL_FLAG(int, expression_cache, 1024,
          "Distinct expressions whose text-encoder output is kept (shared by the instances); 0 disables.");
ABSL_FLAG(bool, dispatch_when_idle, true,
          "Run queued requests at once when no batch is running; false: always wait up to --max_queue_delay for "
          "a fuller batch.");
ABSL_FLAG(int, max_queue_size, 256, "Queued requests before RESOURCE_EXHAUSTED.");
ABSL_FLAG(int, max_expression_bytes, 512, "Longest accepted expression, bytes.");
ABSL_FLAG(int, max_image_side, 4096, "Largest accepted image rows/columns.");
ABSL_FLAG(std::string, metrics_listen, "127.0.0.1:9464",
          "Prometheus /metrics address (loopback by default); empty disables metrics.");
ABSL_FLAG(std::string, port_file, "", "If set, write the bound gRPC port to this file once listening.");
ABSL_FLAG(std::string, metrics_port_file, "",
          "If set, write the bound /metrics port to this file once listening (with --metrics_listen ...:0).");
ABSL_FLAG(int, max_series_slices, 2000, "Slices per SegmentSeries stream.");
ABSL_FLAG(int, max_queue_mb, 1024,
          "Memory the queued requests may hold (decoded images, model inputs), MiB; 0 = no byte bound.");
ABSL_FLAG(int, series_window, 8,
          "Slices of one SegmentSeries stream in the server at once (flow control; capped by --max_queue_size).");

namespace {

int g_signal_pipe[2] = {-1, -1};

void OnSignal(int sig) {
  const char c = static_cast<char>(sig);
  [[maybe_unused]] ssize_t n = write(g_signal_pipe[1], &c, 1);
}

}  // namespace

int main(int argc, char** argv) {
  lsms::InitFlagsUsage("Serves LSMS referring-lesion segmentation over gRPC (lsms.v1).");
  absl::ParseCommandLine(argc, argv);

  // SIGTERM/SIGINT may land on any thread (libtorch starts threads before
  // main), so the handler only writes to a pipe; a thread reads it.
  if (pipe(g_signal_pipe) != 0) return 1;
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);  // hot reload of --checkpoint

  // Sizes in MiB are shifted into bytes: bound them first (a negative value
  // would lift the limit, 2048 or more would overflow gRPC's int).
  if (const int mb = absl::GetFlag(FLAGS_max_receive_mb); mb < 1 || mb > 2047) {
    std::cerr << "lsms-server: --max_receive_mb must be in [1, 2047], got " << mb << "\n";
    return 2;
  }
  if (auto st = lsms::InitDicomCodecs(); !st.ok()) {
    std::cerr << "lsms-server: " << st << "\n";
    return 1;
  }
  lsms::ServerOptions options;
  options.listen_address = absl::GetFlag(FLAGS_listen);
  options.tls.cert_path = absl::GetFlag(FLAGS_tls_cert);
  options.tls.key_path = absl::GetFlag(FLAGS_tls_key);
  options.tls.client_ca_path = absl::GetFlag(FLAGS_tls_client_ca);
  options.tls.reload_interval = absl::GetFlag(FLAGS_tls_reload_interval);
  options.auth.tokens_path = absl::GetFlag(FLAGS_auth_tokens);
  options.auth.jwt.keys_path = absl::GetFlag(FLAGS_jwt_keys);
  options.auth.jwt.issuer = absl::GetFlag(FLAGS_jwt_issuer);
  options.auth.jwt.audience = absl::GetFlag(FLAGS_jwt_audience);
  options.reflection = absl::GetFlag(FLAGS_reflection);
  options.runner.model.checkpoint_path = absl::GetFlag(FLAGS_checkpoint);
  options.runner.segmenter_factory = [](const lsms::Segmenter::Options& o) { return lsms::Segmenter::Load(o); };
  options.runner.model.device = absl::GetFlag(FLAGS_device);
  options.runner.model.autocast = absl::GetFlag(FLAGS_autocast);
  options.runner.model.num_threads = absl::GetFlag(FLAGS_threads);
  options.runner.model.flip_averaging = absl::GetFlag(FLAGS_flip_averaging);
  options.runner.num_instances = absl::GetFlag(FLAGS_instances);
  options.runner.expression_cache_entries = absl::GetFlag(FLAGS_expression_cache);
  options.runner.cap_batch_size_by_throughput = absl::GetFlag(FLAGS_cap_batch_by_throughput);
  options.runner.batching.max_batch_size = absl::GetFlag(FLAGS_max_batch_size);
  options.runner.batching.max_queue_delay = absl::GetFlag(FLAGS_max_queue_delay);
  options.runner.batching.dispatch_when_idle = absl::GetFlag(FLAGS_dispatch_when_idle);
  options.runner.batching.max_queue_size = absl::GetFlag(FLAGS_max_queue_size);
  if (const int mb = absl::GetFlag(FLAGS_max_queue_mb); mb < 0 || mb > (1 << 20)) {
    std::cerr << "lsms-server: --max_queue_mb must be in [0, 1048576], got " << mb << "\n";
    return 2;
  } else {
    options.runner.batching.max_queue_bytes = static_cast<size_t>(mb) << 20;
  }
  options.service.limits.max_expression_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_max_expression_bytes));
  options.service.limits.dicom.max_rows = options.service.limits.dicom.max_cols = absl::GetFlag(FLAGS_max_image_side);
  options.service.limits.dicom.max_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_max_receive_mb)) << 20;
  options.service.max_series_slices = absl::GetFlag(FLAGS_max_series_slices);
  options.service.series_window = absl::GetFlag(FLAGS_series_window);
  options.enable_metrics = !absl::GetFlag(FLAGS_metrics_listen).empty();
  options.metrics.listen_address = absl::GetFlag(FLAGS_metrics_listen);
  options.max_receive_message_bytes = absl::GetFlag(FLAGS_max_receive_mb) * (1 << 20);
  options.drain_grace = absl::GetFlag(FLAGS_drain_grace);
  auto server = lsms::Server::Create(options);
  if (!server.ok()) {
    std::cerr << "lsms-server: " << server.status() << "\n";
    return 1;
  }
  std::cerr << "lsms-server: listening on " << options.listen_address << " -> port " << (*server)->port()
            << (options.tls.enabled() ? (options.tls.client_ca_path.empty() ? ", TLS" : ", mutual TLS") : ", plaintext")
            << (options.auth.enabled() ? ", authentication on" : ", no authentication")
            << " (NOT_SERVING until warm)" << std::endl;
  if (!absl::GetFlag(FLAGS_metrics_port_file).empty()) {
    std::ofstream(absl::GetFlag(FLAGS_metrics_port_file)) << (*server)->metrics_port() << "\n";
  }
  // Last: a script waiting for the gRPC port file finds the metrics one too.
  if (!absl::GetFlag(FLAGS_port_file).empty()) {
    std::ofstream(absl::GetFlag(FLAGS_port_file)) << (*server)->port() << "\n";
  }
  std::thread waiter([&] {
    char sig = 0;
    while (true) {
      if (read(g_signal_pipe[0], &sig, 1) < 0) {
        if (errno == EINTR) continue;
        sig = 0;
      }
      if (sig != SIGHUP) break;
      // SIGHUP: re-read --checkpoint and swap it in (the old model serves
      // until the new one is warm, and keeps serving if it fails to load).
      std::cerr << "lsms-server: SIGHUP, reloading " << options.runner.model.checkpoint_path << std::endl;
      (*server)->ReloadModelAsync("", [](absl::StatusOr<lsms::v1::ReloadModelResponse> r) {
        if (r.ok()) std::cerr << "lsms-server: now serving " << r->version() << " (was " << r->previous_version() << ")" << std::endl;
      });
    }
    if (sig != 0) std::cerr << "lsms-server: signal " << static_cast<int>(sig) << ", draining" << std::endl;
    (*server)->Shutdown();
  });
  int exit_code = 0;
  if (auto st = (*server)->WarmUp(); !st.ok()) {
    std::cerr << "lsms-server: warm-up failed: " << st << std::endl;
    exit_code = 1;
    (*server)->Shutdown();
  } else {
    std::cerr << "lsms-server: SERVING" << std::endl;
  }
  (*server)->Wait();
  OnSignal(0);  // release the waiter if no signal came
  waiter.join();
  std::cerr << "lsms-server: stopped" << std::endl;
  return exit_code;
}
