// lsms-server: the LSMS segmentation gRPC service. Flags are read only here.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/time/time.h"
#include "server/dicom/dicom_image.h"
#include "server/server.h"

ABSL_FLAG(std::string, listen, "0.0.0.0:50051", "gRPC listen address (host:port; port 0 = any free port).");
ABSL_FLAG(std::string, checkpoint, "models/nano/lsms-nano.safetensors", "LSMS checkpoint (.safetensors).");
ABSL_FLAG(std::string, device, "auto", "auto (CUDA when available), cpu, cuda or cuda:N.");
ABSL_FLAG(std::string, autocast, "none", "Mixed precision on CUDA: none, fp16 or bf16.");
ABSL_FLAG(int, threads, 0, "Intra-op CPU threads per model instance; 0 = libtorch default.");
ABSL_FLAG(int, max_receive_mb, 64, "Largest accepted request, MiB.");
ABSL_FLAG(absl::Duration, drain_grace, absl::Seconds(20), "On SIGTERM, time allowed for in-flight work.");

namespace {

int g_signal_pipe[2] = {-1, -1};

void OnSignal(int sig) {
  const char c = static_cast<char>(sig);
  [[maybe_unused]] ssize_t n = write(g_signal_pipe[1], &c, 1);
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Serves LSMS referring-lesion segmentation over gRPC (lsms.v1).");
  absl::ParseCommandLine(argc, argv);

  // SIGTERM/SIGINT may land on any thread (libtorch starts threads before
  // main), so the handler only writes to a pipe; a thread reads it.
  if (pipe(g_signal_pipe) != 0) return 1;
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);

  if (auto st = lsms::InitDicomCodecs(); !st.ok()) {
    std::cerr << "lsms-server: " << st << "\n";
    return 1;
  }
  lsms::ServerOptions options;
  options.listen_address = absl::GetFlag(FLAGS_listen);
  options.model.checkpoint_path = absl::GetFlag(FLAGS_checkpoint);
  options.model.device = absl::GetFlag(FLAGS_device);
  options.model.autocast = absl::GetFlag(FLAGS_autocast);
  options.model.num_threads = absl::GetFlag(FLAGS_threads);
  options.max_receive_message_bytes = absl::GetFlag(FLAGS_max_receive_mb) << 20;
  options.drain_grace = absl::GetFlag(FLAGS_drain_grace);
  auto server = lsms::Server::Create(options);
  if (!server.ok()) {
    std::cerr << "lsms-server: " << server.status() << "\n";
    return 1;
  }
  std::cerr << "lsms-server: listening on port " << (*server)->port() << std::endl;
  std::thread waiter([&] {
    char sig = 0;
    while (read(g_signal_pipe[0], &sig, 1) < 0 && errno == EINTR) {
    }
    std::cerr << "lsms-server: signal " << static_cast<int>(sig) << ", draining" << std::endl;
    (*server)->Shutdown();
  });
  (*server)->Wait();
  waiter.join();
  std::cerr << "lsms-server: stopped" << std::endl;
  return 0;
}
