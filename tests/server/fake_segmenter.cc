#include "tests/server/fake_segmenter.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "model/model_config.h"
#include "model/provenance.h"
#include "model/tokenizer.h"

namespace lsms::testing {
namespace {

class FakeSegmenter final : public Segmenter {
 public:
  FakeSegmenter(ModelConfig config, std::unique_ptr<Tokenizer> tokenizer, Provenance provenance,
                FakeModelOptions fake)
      : config_(std::move(config)),
        tokenizer_(std::move(tokenizer)),
        provenance_(std::move(provenance)),
        fake_(fake) {}

  absl::StatusOr<std::vector<Prediction>> Predict(const std::vector<const ModelInput*>& batch) override {
    if (fake_.compute_time > absl::ZeroDuration()) std::this_thread::sleep_for(absl::ToChronoNanoseconds(fake_.compute_time));
    std::vector<Prediction> out;
    for (const ModelInput* in : batch) {
      bool nothing = false;
      for (const std::string& t : in->tokens.tokens) {
        if (t == "tumor") return absl::InternalError("model failure: injected");
        if (t == "nodule") throw std::runtime_error("injected exception");
        nothing = nothing || t == "nothing";
      }
      Prediction p;
      p.box = in->box;
      p.probability.rows = p.probability.cols = config_.input_size;
      p.probability.data.resize(in->image.size());
      for (size_t i = 0; i < in->image.size(); ++i) p.probability.data[i] = std::clamp(in->image[i], 0.0f, 1.0f);
      p.target_present = nothing ? 0.1f : 0.9f;
      int real = 0;
      for (uint8_t m : in->tokens.attention_mask) real += m;
      p.token_relevance.assign(in->tokens.ids.size(), 0.0f);
      for (size_t i = 1; i + 1 < static_cast<size_t>(real); ++i) p.token_relevance[i] = 1.0f / static_cast<float>(real - 2);
      out.push_back(std::move(p));
    }
    return out;
  }
  const ModelConfig& config() const override { return config_; }
  const Tokenizer& tokenizer() const override { return *tokenizer_; }
  const Provenance& provenance() const override { return provenance_; }
  std::string device() const override { return "cpu"; }
  int64_t parameter_count() const override { return 0; }
  int64_t device_memory_allocated() const override { return 0; }
  int64_t device_memory_reserved() const override { return 0; }

 private:
  const ModelConfig config_;
  const std::unique_ptr<Tokenizer> tokenizer_;
  const Provenance provenance_;
  const FakeModelOptions fake_;
};

}  // namespace

std::string WriteFakeCheckpoint(const std::string& name, const std::string& version,
                                const std::string& training_command, const std::string& data) {
  const std::string path =
      (std::filesystem::temp_directory_path() / absl::StrCat(name, "-", ::getpid(), ".fake")).string();
  std::ofstream f(path);
  f << "fake-model " << version << "\n";
  if (!training_command.empty()) f << "training_command " << training_command << "\n";
  if (!data.empty()) f << "data " << data << "\n";
  return path;
}

absl::StatusOr<std::unique_ptr<Segmenter>> LoadFakeSegmenter(const Segmenter::Options& options,
                                                             const FakeModelOptions& fake) {
  std::ifstream in(options.checkpoint_path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", options.checkpoint_path));
  std::stringstream text;
  text << in.rdbuf();
  Provenance provenance;
  for (absl::string_view line : absl::StrSplit(text.str(), '\n', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(line, absl::MaxSplits(' ', 1));
    if (kv.first == "fake-model") provenance.version = std::string(kv.second);
    if (kv.first == "training_command") provenance.training_command = std::string(kv.second);
    if (kv.first == "data") provenance.data = std::string(kv.second);
  }
  if (provenance.version.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(options.checkpoint_path, " is not a fake checkpoint"));
  }
  auto config = ModelConfig::FromPreset("nano");
  if (!config.ok()) return config.status();
  config->input_size = fake.input_size;
  auto tokenizer = Tokenizer::FromVocabText(Tokenizer::BuildVocab(
      {"the largest smallest hypodense lesion lesions all in the right left lobe nothing tumor nodule"}));
  if (!tokenizer.ok()) return tokenizer.status();
  config->vocab_size = (*tokenizer)->vocab_size();
  return std::unique_ptr<Segmenter>(
      std::make_unique<FakeSegmenter>(*std::move(config), *std::move(tokenizer), std::move(provenance), fake));
}

}  // namespace lsms::testing
