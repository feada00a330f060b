// The shipped model on CUDA against the same model on the CPU, on the bundled
// sample slices (real DICOM written by lsms-synth with DCMTK, every expression
// of samples/manifest.jsonl). On a host without a usable GPU (CI, any CPU-only
// libtorch) the GPU tests are skipped and only the refusal is checked; on a
// GPU host (scripts/gpu-check) all of them run.
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/cuda.h>

#include "common/png_codec.h"
#include "model/preprocess.h"
#include "model/segmenter.h"
#include "server/dicom/dicom_image.h"

namespace lsms {
namespace {

// The checkout: compiled in, or LSMS_SOURCE_DIR when the binary travelled
// (scripts/gpu-bundle) to a machine where the checkout sits elsewhere.
const std::string kRoot = std::getenv("LSMS_SOURCE_DIR") ? std::getenv("LSMS_SOURCE_DIR") : LSMS_SOURCE_DIR;
const std::string kCheckpoint = kRoot + "/models/nano/lsms-nano.safetensors";

bool HaveCuda() { return torch::cuda::is_available() && torch::cuda::device_count() > 0; }

absl::StatusOr<std::unique_ptr<Segmenter>> Load(const std::string& device, const std::string& autocast) {
  Segmenter::Options o;
  o.checkpoint_path = kCheckpoint;
  o.device = device;
  o.autocast = autocast;
  return Segmenter::Load(o);
}

// Every (slice, expression) of the bundled samples, preprocessed for `model`.
std::vector<ModelInput> SampleInputs(const Segmenter& model) {
  EXPECT_TRUE(InitDicomCodecs().ok());
  std::ifstream manifest(kRoot + "/samples/manifest.jsonl");
  std::vector<ModelInput> inputs;
  for (std::string line; std::getline(manifest, line);) {
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line);
    auto bytes = ReadFile(kRoot + "/samples/" + j["image"].get<std::string>());
    EXPECT_TRUE(bytes.ok()) << bytes.status();
    auto slice = DecodeDicom(*bytes);
    EXPECT_TRUE(slice.ok()) << slice.status();
    ModelInput in;
    in.image = PreprocessHu(slice->hu, model.config(), &in.box);
    in.tokens = model.tokenizer().Encode(j["expression"].get<std::string>(), model.config().max_tokens);
    in.hu = std::make_shared<const Image>(slice->hu);
    inputs.push_back(std::move(in));
  }
  return inputs;
}

std::vector<Prediction> PredictAll(Segmenter& model, const std::vector<ModelInput>& inputs) {
  std::vector<const ModelInput*> batch;
  for (const auto& in : inputs) batch.push_back(&in);
  auto out = model.Predict(batch);
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? *out : std::vector<Prediction>{};
}

// IoU of the two answers' masks at `threshold`, compared at the slice's own
// resolution (the passes may pick liver regions a pixel apart); 1 when both
// are empty.
double MaskIoU(const Prediction& a, const Prediction& b, float threshold) {
  const Image ma = ToOriginal(a.probability, a.box), mb = ToOriginal(b.probability, b.box);
  EXPECT_EQ(ma.data.size(), mb.data.size());
  double inter = 0, uni = 0;
  for (size_t i = 0; i < ma.data.size() && i < mb.data.size(); ++i) {
    const bool x = ma.data[i] >= threshold, y = mb.data[i] >= threshold;
    inter += x && y;
    uni += x || y;
  }
  return uni == 0 ? 1.0 : inter / uni;
}

TEST(CudaTest, ACudaDeviceWithoutAGpuIsRefusedClearly) {
  if (HaveCuda()) GTEST_SKIP() << "this host has a GPU";
  for (const std::string device : {"cuda", "cuda:0", "cuda:3"}) {
    auto model = Load(device, "none");
    ASSERT_FALSE(model.ok()) << device;
    EXPECT_EQ(model.status().code(), absl::StatusCode::kFailedPrecondition) << model.status();
    EXPECT_NE(model.status().message().find("CUDA"), std::string::npos) << model.status();
  }
  // "auto" falls back to the CPU.
  auto model = Load("auto", "none");
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ((*model)->device(), "cpu");
  EXPECT_EQ((*model)->device_memory_allocated(), 0);
}

TEST(CudaTest, Fp32MasksAgreeWithTheCpu) {
  if (!HaveCuda()) GTEST_SKIP() << "no CUDA device";
  auto cpu = Load("cpu", "none");
  auto gpu = Load("cuda", "none");
  ASSERT_TRUE(cpu.ok()) << cpu.status();
  ASSERT_TRUE(gpu.ok()) << gpu.status();
  EXPECT_EQ((*gpu)->device(), "cuda:0");
  const auto inputs = SampleInputs(**cpu);
  ASSERT_GE(inputs.size(), 6u);
  const auto a = PredictAll(**cpu, inputs), b = PredictAll(**gpu, inputs);
  ASSERT_EQ(a.size(), inputs.size());
  ASSERT_EQ(b.size(), inputs.size());
  const float threshold = (*cpu)->config().default_threshold;
  double sum = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const double iou = MaskIoU(a[i], b[i], threshold);
    sum += iou;
    EXPECT_GE(iou, 0.97) << "sample " << i;
    EXPECT_EQ(a[i].liver_region, b[i].liver_region) << "sample " << i;
    EXPECT_NEAR(a[i].target_present, b[i].target_present, 0.02) << "sample " << i;
  }
  EXPECT_GE(sum / inputs.size(), 0.99) << "mean CPU-vs-CUDA mask IoU";
  // The GPU memory the server's metrics report.
  EXPECT_GT((*gpu)->device_memory_allocated(), 0);
  EXPECT_GE((*gpu)->device_memory_reserved(), (*gpu)->device_memory_allocated());
}

TEST(CudaTest, AutocastStaysCloseToFp32AndLeavesTheThreadClean) {
  if (!HaveCuda()) GTEST_SKIP() << "no CUDA device";
  auto fp32 = Load("cuda", "none");
  ASSERT_TRUE(fp32.ok()) << fp32.status();
  const auto inputs = SampleInputs(**fp32);
  const auto ref = PredictAll(**fp32, inputs);
  const float threshold = (*fp32)->config().default_threshold;
  for (const std::string cast : {"fp16", "bf16"}) {
    auto model = Load("cuda", cast);
    ASSERT_TRUE(model.ok()) << model.status();
    EXPECT_EQ((*model)->device(), "cuda:0/" + cast);
    const auto out = PredictAll(**model, inputs);
    ASSERT_EQ(out.size(), ref.size());
    double sum = 0;
    for (size_t i = 0; i < out.size(); ++i) sum += MaskIoU(ref[i], out[i], threshold);
    // The test-split mIoU check (within 1 point) is scripts/gpu-check's.
    EXPECT_GE(sum / out.size(), 0.9) << cast;
  }
  // Autocast is thread-local and scoped to each pass: fp32 again on this
  // thread gives the same answers as before.
  const auto again = PredictAll(**fp32, inputs);
  // (GPU kernels need not be bit-reproducible; a pixel may flip.)
  for (size_t i = 0; i < again.size(); ++i) EXPECT_GE(MaskIoU(ref[i], again[i], threshold), 0.99) << i;
}

}  // namespace
}  // namespace lsms
