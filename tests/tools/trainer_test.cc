// A tiny real training run: a few steps of lsms-train's loop on a generated
// benchmark lower the loss, and write checkpoints that load.
#include "tools/train/trainer.h"

#include <filesystem>
#include <fstream>
#include <cmath>
#include <cstring>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "model/checkpoint.h"
#include "model/pretrained_text.h"
#include "model/safetensors.h"
#include "model/segmenter.h"
#include "tools/synth/benchmark_writer.h"

namespace lsms {
namespace {

namespace fs = std::filesystem;

// A small generated benchmark (128 px slices, no test split) in `out`.
bool WriteBenchmark(const fs::path& out, int images, uint64_t seed, double val_fraction) {
  synth::BenchmarkOptions b;
  b.out_dir = out.string();
  b.images = images;
  b.size = 128;
  b.seed = seed;
  b.val_fraction = val_fraction;
  b.test_fraction = 0.0;
  return synth::WriteBenchmark(b).ok();
}

TEST(TrainerTest, AFewStepsLowerTheLossAndWriteCheckpoints) {
  const fs::path dir = fs::temp_directory_path() / ("lsms_train_" + std::to_string(::getpid()));
  ASSERT_TRUE(WriteBenchmark(dir / "data", /*images=*/10, /*seed=*/3, /*val_fraction=*/0.2));
  train::TrainOptions o;
  o.manifest = (dir / "data" / "manifest.jsonl").string();
  o.out_dir = (dir / "run").string();
  o.input_size = 64;
  o.steps = 24;
  o.warmup = 2;
  o.lr = 1e-3;
  o.images_per_batch = 2;
  o.expressions_per_image = 3;
  o.val_every = 12;
  o.val_images = 2;
  o.augment = false;  // the same few batches, so the loss must fall
  o.command_line = "trainer_test";
  ASSERT_TRUE(train::Train(o).ok());
  std::ifstream csv(dir / "run" / "log.csv");
  std::string line;
  std::getline(csv, line);
  std::vector<double> loss;
  while (std::getline(csv, line)) {
    std::vector<std::string> f = absl::StrSplit(line, ',');
    loss.push_back(std::stod(f[2]));
  }
  ASSERT_EQ(loss.size(), 24u);
  const double first = (loss[0] + loss[1] + loss[2] + loss[3]) / 4;
  const double last = (loss[20] + loss[21] + loss[22] + loss[23]) / 4;
  EXPECT_LT(last, first * 0.9) << "first " << first << " last " << last;
  auto ckpt = LoadCheckpoint((dir / "run" / "last.safetensors").string());
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  EXPECT_EQ(ckpt->info.config.input_size, 64);
  EXPECT_EQ(ckpt->info.provenance.training_command, "trainer_test");
  ASSERT_EQ(ckpt->info.provenance.runs.size(), 1u);
  EXPECT_NE(ckpt->info.provenance.runs[0].find("steps 0..24"), std::string::npos) << ckpt->info.provenance.runs[0];
  EXPECT_TRUE(fs::exists(dir / "run" / "best.safetensors"));
  // Resume continues the step count and appends a leg. A row the stopped
  // process logged after its last checkpoint is dropped, not kept twice.
  std::ofstream(dir / "run" / "log.csv", std::ios::app) << "25,0,9,0,0,0,0,0,0,0,0,\n";
  o.resume = true;
  o.steps = 28;
  ASSERT_TRUE(train::Train(o).ok());
  std::ifstream resumed_csv(dir / "run" / "log.csv");
  std::getline(resumed_csv, line);
  std::vector<int> steps;
  while (std::getline(resumed_csv, line)) steps.push_back(std::stoi(line));
  std::vector<int> expected(28);
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(steps, expected);
  auto resumed = LoadCheckpoint((dir / "run" / "last.safetensors").string());
  ASSERT_TRUE(resumed.ok());
  ASSERT_EQ(resumed->info.provenance.runs.size(), 2u);
  EXPECT_NE(resumed->info.provenance.runs[1].find("steps 24..28"), std::string::npos);
  fs::remove_all(dir);
}

// Options of a run of `steps` tiny steps (64 px, 2 images × 2 expressions)
// that validates on 2 images once, at its end.
train::TrainOptions TinyRun(const std::string& manifest, int steps, const fs::path& out) {
  train::TrainOptions o;
  o.manifest = manifest;
  o.out_dir = out.string();
  o.input_size = 64;
  o.steps = steps;
  o.warmup = 1;
  o.images_per_batch = 2;
  o.expressions_per_image = 2;
  o.val_every = steps;
  o.val_images = 2;
  return o;
}

TEST(TrainerTest, TrainsOnSeveralManifestsAndValidatesOnAnother) {
  const fs::path dir = fs::temp_directory_path() / ("lsms_train_multi_" + std::to_string(::getpid()));
  ASSERT_TRUE(WriteBenchmark(dir / "a", 4, 3, 0.0));      // training slices only
  ASSERT_TRUE(WriteBenchmark(dir / "b", 4, 4, 0.0));      // more training slices
  ASSERT_TRUE(WriteBenchmark(dir / "calib", 4, 5, 1.0));  // validation only
  train::TrainOptions o = TinyRun(
      (dir / "a" / "manifest.jsonl").string() + "," + (dir / "b" / "manifest.jsonl").string(), 2, dir / "run");
  o.val_manifest = (dir / "calib" / "manifest.jsonl").string();
  ASSERT_TRUE(train::Train(o).ok());
  auto ckpt = LoadCheckpoint((dir / "run" / "last.safetensors").string());
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  EXPECT_NE(ckpt->info.provenance.data.find(o.manifest), std::string::npos) << ckpt->info.provenance.data;
  EXPECT_NE(ckpt->info.provenance.data.find("validation " + o.val_manifest), std::string::npos)
      << ckpt->info.provenance.data;
  // Validating on manifests that have no val split is an error, not a silent skip.
  o.val_manifest = o.manifest;
  o.out_dir = (dir / "run2").string();
  auto st = train::Train(o);
  EXPECT_TRUE(absl::IsInvalidArgument(st)) << st;
  fs::remove_all(dir);
}

TEST(TrainerTest, AGpuThisHostLacksIsRefusedBeforeAnyWork) {
  if (CudaDeviceCount() > 0) GTEST_SKIP() << "this host has a GPU";
  const fs::path dir = fs::temp_directory_path() / ("lsms_train_nogpu_" + std::to_string(::getpid()));
  train::TrainOptions o = TinyRun((dir / "absent" / "manifest.jsonl").string(), 2, dir / "run");
  o.device = "cuda";
  auto st = train::Train(o);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  EXPECT_NE(st.message().find("CUDA"), std::string::npos) << st;
  o.device = "tpu";
  EXPECT_EQ(train::Train(o).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(dir / "run"));
}

// A leg on the GPU, the next on the CPU from the GPU's resumable state: the
// optimizer's moments follow the parameters, the files are the same format.
TEST(TrainerTest, TrainsOnCudaAndResumesOnTheCpu) {
  if (CudaDeviceCount() == 0) GTEST_SKIP() << "no CUDA device";
  const fs::path dir = fs::temp_directory_path() / ("lsms_train_cuda_" + std::to_string(::getpid()));
  ASSERT_TRUE(WriteBenchmark(dir / "data", 6, 3, 0.34));
  train::TrainOptions o = TinyRun((dir / "data" / "manifest.jsonl").string(), 12, dir / "run");
  o.val_every = 6;
  o.lr = 1e-3;
  o.augment = false;
  o.device = "cuda";
  ASSERT_TRUE(train::Train(o).ok());
  auto ckpt = LoadCheckpoint((dir / "run" / "last.safetensors").string());
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  o.device = "cpu";
  o.resume = true;
  o.steps = 14;
  ASSERT_TRUE(train::Train(o).ok());
  std::ifstream csv(dir / "run" / "log.csv");
  std::string line;
  std::getline(csv, line);
  int rows = 0;
  while (std::getline(csv, line)) ++rows;
  EXPECT_EQ(rows, 14);
  // And back onto the GPU.
  o.device = "cuda";
  o.steps = 16;
  ASSERT_TRUE(train::Train(o).ok());
  fs::remove_all(dir);
}

// The first step's logged terms (loss, ..., aux, ...) of a one-step run.
std::vector<double> FirstStepTerms(const fs::path& run) {
  std::ifstream csv(run / "log.csv");
  std::string header, line;
  std::getline(csv, header);
  std::getline(csv, line);
  std::vector<double> terms;
  for (absl::string_view f : absl::StrSplit(line, ',')) {
    double v = 0;
    terms.push_back(absl::SimpleAtod(f, &v) ? v : 0.0);
  }
  return terms;
}

TEST(TrainerTest, AuxAndPresentWeightsScaleTheirLossesInTheTotal) {
  const fs::path dir = fs::temp_directory_path() / ("lsms_train_aux_" + std::to_string(::getpid()));
  ASSERT_TRUE(WriteBenchmark(dir / "data", 4, 6, 0.5));
  train::TrainOptions o = TinyRun((dir / "data" / "manifest.jsonl").string(), 1, dir / "a");
  o.augment = false;
  o.aux_weight = 0.5;
  o.present_weight = 1.0;
  ASSERT_TRUE(train::Train(o).ok());
  o.out_dir = (dir / "b").string();
  o.aux_weight = 2.0;
  o.present_weight = 3.0;
  ASSERT_TRUE(train::Train(o).ok());
  // Columns: step, lr, loss, bce, dice, contrastive, present, aux, ...
  const auto a = FirstStepTerms(dir / "a"), b = FirstStepTerms(dir / "b");
  ASSERT_GE(a.size(), 8u);
  ASSERT_GE(b.size(), 8u);
  // Same weights, same batch: the same unweighted terms.
  EXPECT_NEAR(a[7], b[7], 1e-3);
  EXPECT_NEAR(a[6], b[6], 1e-3);
  EXPECT_GT(a[7], 0.01);
  EXPECT_GT(a[6], 0.01);
  EXPECT_NEAR(b[2] - a[2], 1.5 * a[7] + 2.0 * a[6], 3e-3);
  fs::remove_all(dir);
}

TEST(TrainerTest, AddWindowWidensTheInitCheckpointOnceAndRejectsACopy) {
  const fs::path dir = fs::temp_directory_path() / ("lsms_train_window_" + std::to_string(::getpid()));
  ASSERT_TRUE(WriteBenchmark(dir / "data", 4, 7, 0.5));
  const std::string manifest = (dir / "data" / "manifest.jsonl").string();
  ASSERT_TRUE(train::Train(TinyRun(manifest, 1, dir / "base")).ok());
  train::TrainOptions o = TinyRun(manifest, 1, dir / "wide");
  o.init_checkpoint = (dir / "base" / "last.safetensors").string();
  o.add_windows = {{160.0f, 120.0f}};
  ASSERT_TRUE(train::Train(o).ok());
  auto wide = LoadCheckpoint((dir / "wide" / "last.safetensors").string());
  ASSERT_TRUE(wide.ok()) << wide.status();
  ASSERT_EQ(wide->info.config.windows.size(), 4u);
  EXPECT_EQ(wide->info.config.windows[3].width, 160.0f);
  EXPECT_EQ(wide->info.config.windows[3].level, 120.0f);
  // Resuming with the same flag does not add the window a second time.
  o.steps = 2;
  o.resume = true;
  ASSERT_TRUE(train::Train(o).ok());
  auto resumed = LoadCheckpoint((dir / "wide" / "last.safetensors").string());
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ(resumed->info.config.windows.size(), 4u);
  // A window the checkpoint reads already (the preset's first) is an error.
  train::TrainOptions copy = TinyRun(manifest, 1, dir / "copy");
  copy.init_checkpoint = (dir / "base" / "last.safetensors").string();
  copy.add_windows = {{150.0f, 60.0f}};
  auto st = train::Train(copy);
  EXPECT_TRUE(absl::IsInvalidArgument(st)) << st;
  fs::remove_all(dir);
}

TEST(TrainerTest, HeldOutPhrasingIsNeverTrainedOrSelectedOn) {
  const fs::path dir = fs::temp_directory_path() / ("lsms_train_heldout_" + std::to_string(::getpid()));
  synth::BenchmarkOptions b;
  b.out_dir = (dir / "mixed").string();
  b.images = 4;
  b.size = 128;
  b.val_fraction = 0.5;
  b.test_fraction = 0.0;
  b.phrasing = synth::Phrasing::kMixed;
  ASSERT_TRUE(synth::WriteBenchmark(b).ok());
  auto st = train::Train(TinyRun((dir / "mixed" / "manifest.jsonl").string(), 1, dir / "run"));
  EXPECT_TRUE(absl::IsFailedPrecondition(st)) << st;
  EXPECT_NE(st.message().find("held-out phrasing"), std::string::npos) << st;
  b.out_dir = (dir / "seen").string();
  b.phrasing = synth::Phrasing::kSeen;
  ASSERT_TRUE(synth::WriteBenchmark(b).ok());
  EXPECT_TRUE(train::Train(TinyRun((dir / "seen" / "manifest.jsonl").string(), 1, dir / "run")).ok());
  fs::remove_all(dir);
}

#ifdef LSMS_PRETRAINED_TEXT_DIR
TEST(TrainerTest, PretrainedTextEncoderReplacesTheCheckpointsAndStaysFrozen) {
  const fs::path dir = fs::temp_directory_path() / ("lsms_train_pretrained_" + std::to_string(::getpid()));
  ASSERT_TRUE(WriteBenchmark(dir / "data", 4, 3, 0.5));
  const std::string manifest = (dir / "data" / "manifest.jsonl").string();
  ASSERT_TRUE(train::Train(TinyRun(manifest, 1, dir / "base")).ok());
  auto base = LoadCheckpoint((dir / "base" / "last.safetensors").string());
  ASSERT_TRUE(base.ok()) << base.status();
  ASSERT_EQ(base->info.config.text_width, 0);
  train::TrainOptions o = TinyRun(manifest, 2, dir / "mini");
  o.init_checkpoint = (dir / "base" / "last.safetensors").string();
  o.text_encoder = LSMS_PRETRAINED_TEXT_DIR;
  o.liver_reference_hu = 60;
  o.lr = 1e-2;  // large: frozen tensors must still not move
  ASSERT_TRUE(train::Train(o).ok());
  // "best" is a whole checkpoint with the pretrained encoder in it.
  auto mini = LoadCheckpoint((dir / "mini" / "best.safetensors").string());
  ASSERT_TRUE(mini.ok()) << mini.status();
  const ModelConfig& c = mini->info.config;
  EXPECT_EQ(c.text_width, 384);
  EXPECT_EQ(c.text_dim, base->info.config.text_dim);
  EXPECT_EQ(c.vocab_size, 30522);
  EXPECT_EQ(c.liver_reference_hu, 60.0f);
  auto pretrained = ReadPretrainedText(LSMS_PRETRAINED_TEXT_DIR);
  ASSERT_TRUE(pretrained.ok());
  EXPECT_EQ(mini->info.vocab, pretrained->vocab);
  // The pretrained tensors are exactly the package's after training.
  auto file = SafetensorsFile::Load(pretrained->weights_path);
  ASSERT_TRUE(file.ok());
  for (const char* name : {"embeddings.word_embeddings.weight", "encoder.layer.5.output.dense.weight"}) {
    auto want = file->tensors.at(name).ToFloat();
    ASSERT_TRUE(want.ok());
    torch::Tensor got;
    for (const auto& p : mini->net->named_parameters()) {
      if (p.key() == std::string("text.") + name) got = p.value().contiguous();
    }
    ASSERT_TRUE(got.defined()) << name;
    EXPECT_EQ(std::memcmp(got.data_ptr<float>(), want->data(), want->size() * sizeof(float)), 0) << name;
  }
  // The resumable state leaves the frozen encoder to the package: it holds
  // the trained projection but no BERT tensor, and is not a checkpoint alone.
  auto last = SafetensorsFile::Load((dir / "mini" / "last.safetensors").string());
  ASSERT_TRUE(last.ok());
  EXPECT_FALSE(last->tensors.count("text.embeddings.word_embeddings.weight"));
  EXPECT_FALSE(last->tensors.count("text.encoder.layer.0.attention.self.query.weight"));
  ASSERT_TRUE(last->tensors.count("text.proj.weight"));
  EXPECT_LT(std::filesystem::file_size(dir / "mini" / "last.safetensors") * 4,
            std::filesystem::file_size(dir / "mini" / "best.safetensors"));
  EXPECT_FALSE(LoadCheckpoint((dir / "mini" / "last.safetensors").string()).ok());
  // Resuming restores the encoder from the package and keeps the trained
  // projection instead of drawing a new one.
  const std::vector<float> proj = *last->tensors.at("text.proj.weight").ToFloat();
  o.resume = true;
  o.steps = 3;
  o.lr = 1e-9;  // one step that moves nothing measurably
  ASSERT_TRUE(train::Train(o).ok());
  auto again = SafetensorsFile::Load((dir / "mini" / "last.safetensors").string());
  ASSERT_TRUE(again.ok());
  const std::vector<float> resumed = *again->tensors.at("text.proj.weight").ToFloat();
  ASSERT_EQ(resumed.size(), proj.size());
  double max_diff = 0;
  for (size_t i = 0; i < proj.size(); ++i) max_diff = std::max(max_diff, std::abs(double(resumed[i]) - proj[i]));
  EXPECT_LT(max_diff, 1e-5);
  fs::remove_all(dir);
}
#endif

}  // namespace
}  // namespace lsms
